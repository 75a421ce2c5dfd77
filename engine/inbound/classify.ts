import type { InboundMail } from './parse.js';

/** What an inbound mail is, for the event it records. */
export type Classification =
  | { kind: 'reply' }
  | { kind: 'auto-reply'; why: string }
  | { kind: 'bounce'; bounce: 'hard' | 'soft'; status: string }
  /** Mail that records nothing: a delivery report of success, or a report naming no failure. */
  | { kind: 'ignored'; why: string };

// Subjects of out-of-office and vacation answers, at the start of the subject (after any
// "Re:"), in the languages our users' contacts write.
const AUTO_SUBJECT = new RegExp(
  `^\\W*((re|aw|sv|vs|wg|fw|fwd)\\s*:\\s*)*\\W*(${[
    'auto(matic|matische?)?[ -]?(reply|response|antwort|answer)',
    'out of (the )?office',
    'on vacation',
    'vacation (reply|response)',
    'abwesenheit',
    'r[ée]ponse automatique',
    'absence',
    'respuesta autom[aá]tica',
    'fuera de la oficina',
    'risposta automatica',
    'automatisch antwoord',
    'afwezig',
    'automaattinen vastaus',
    'poissa',
    'lomalla',
    'autosvar',
    'fr[åa]nvaro',
    'automatisk svar',
  ].join('|')})`,
  'i',
);

/** Why the mail is an automatic answer, or null for one a person wrote. */
function automatic(mail: InboundMail): string | null {
  const submitted = mail.header('auto-submitted')?.trim().toLowerCase();
  if (submitted && submitted !== 'no') return `Auto-Submitted: ${submitted}`;
  if (mail.header('x-autoreply') !== null || mail.header('x-autorespond') !== null) return 'X-Autoreply';
  const precedence = mail.header('precedence')?.trim().toLowerCase();
  if (precedence === 'auto_reply') return `Precedence: ${precedence}`;
  if (AUTO_SUBJECT.test(mail.subject)) return `subject "${mail.subject}"`;
  return null;
}

/**
 * Tells a delivery report (hard: `5.x.x`, soft: `4.x.x`), an automatic answer
 * (`Auto-Submitted`, `X-Autoreply`, out-of-office subjects) and a reply apart. A report's
 * worst failed recipient decides; a report of delays only is a warning and records nothing.
 */
export function classify(mail: InboundMail): Classification {
  if (mail.report) {
    const failed = mail.report.recipients.filter((r) => r.action === 'failed');
    const worst = failed.find((r) => !r.status?.startsWith('4.')) ?? failed[0];
    if (!worst) {
      const delayed = mail.report.recipients.some((r) => r.action === 'delayed');
      return { kind: 'ignored', why: delayed ? 'a delay warning (delivery is still tried)' : 'a report of no failure' };
    }
    const status = worst.status ?? '5.0.0';
    return { kind: 'bounce', bounce: status.startsWith('4.') ? 'soft' : 'hard', status };
  }
  const why = automatic(mail);
  return why ? { kind: 'auto-reply', why } : { kind: 'reply' };
}
