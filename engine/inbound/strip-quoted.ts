// Lines that introduce the quoted history, one per language. Each starts with its keyword, so
// that one may also be tried on two or three lines joined (clients wrap it); it must hold a
// date or time (a digit), so that a sentence like "On Monday you wrote:" stays.
const ATTRIBUTIONS = [
  /^On\b.{0,300}\bwrote:$/i,
  /^Am\b.{0,300}\bschrieb\b.{0,200}:$/i,
  /^Le\b.{0,300}\ba écrit ?:$/i,
  /^El\b.{0,300}\bescribió:$/i,
  /^Il\b.{0,300}\bha scritto:$/i,
  /^Op\b.{0,300}\bschreef\b.{0,200}:$/i,
  /^Den\b.{0,300}\bskrev\b.{0,200}:$/i,
  /^(ma|ti|ke|to|pe|la|su)\b.{0,300}\bkirjoitti:$/i,
];
// Separators that stand on a line of their own.
const SEPARATORS = [
  /^-{2,} ?(Original Message|Alkuperäinen viesti|Ursprüngliche Nachricht|Message d'origine|Mensaje original|Messaggio originale|Oorspronkelijk bericht|Ursprungligt meddelande) ?-{2,}$/i,
  /^.{0,300}@.{0,100}\bkirjoitti\b.{0,100}:$/i,
];
// Outlook's quoted header block: "From: …" followed by "Sent:"/"Date:"/"To:" within three lines.
const HEADER_FROM = /^\*?(From|Von|De|Lähettäjä|Från|Da|Van)\s?:\*?\s/i;
const HEADER_NEXT =
  /^\*?(Sent|Date|To|Subject|Gesendet|Datum|Envoyé|Lähetetty|Skickat|Inviato|Verzonden|Enviado)\s?:\*?\s/i;
// A rule (`<hr>` in an HTML reply) left standing between the new text and the history.
const RULE = /^[-_=*]{3,}$/;
// Footers a phone or mail app appends.
const DEVICE_FOOTER =
  /^(Sent from my |Sent from Mail for |Get Outlook for |Lähetetty (iPhonesta|Androidista)|Von meinem .* gesendet|Envoyé de mon |Enviado desde mi |Skickat från min )/i;

const clean = (line: string) => line.trim().replace(/\s+/g, ' ');

function startsHistory(lines: readonly string[], i: number): boolean {
  const line = clean(lines[i] ?? '');
  if (!line) return false;
  if (SEPARATORS.some((p) => p.test(line))) return true;
  for (let span = 1; span <= 3 && i + span <= lines.length; span++) {
    const joined = clean(lines.slice(i, i + span).join(' '));
    if (/\d/.test(joined) && ATTRIBUTIONS.some((p) => p.test(joined))) return true;
  }
  const next = (n: number) => clean(lines[i + n] ?? '');
  if (/^_{8,}$/.test(line)) return HEADER_FROM.test(next(1)) || HEADER_FROM.test(next(2));
  return HEADER_FROM.test(line) && [1, 2, 3].some((n) => HEADER_NEXT.test(next(n)));
}

/**
 * The new text of a reply: everything from the quoted history on (an "On … wrote:" line in
 * any of several languages, an "Original Message" separator, Outlook's header block), quoted
 * `>` lines, the signature after `-- ` and device footers are dropped.
 *
 * @example
 * stripQuoted('Yes please!\n\nOn Tue, Jan 6, 2026 News <news@example.com> wrote:\n> About A')
 * // 'Yes please!'
 */
export function stripQuoted(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let end = lines.findIndex((_, i) => startsHistory(lines, i));
  if (end < 0) end = lines.length;
  const kept = lines.slice(0, end).filter((line) => !/^\s*>/.test(line));
  const signature = kept.findIndex((line) => /^-- ?$/.test(line));
  if (signature >= 0) kept.length = signature;
  const trailing = (line: string) => !line || RULE.test(line) || DEVICE_FOOTER.test(line);
  while (kept.length && trailing(kept[kept.length - 1]?.trim() ?? '')) kept.pop();
  return kept
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
