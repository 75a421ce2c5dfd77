// An address: no space, control character or special that would end it or start another
// (`,` `;` `:` `<` `>` `(` `)` `[` `]` `\` `"`), one `@`, a dot in its domain.
const PART = '[^\\s\\x00-\\x1f\\x7f<>@()\\[\\]\\\\,;:"]+';
const ADDRESS = `${PART}@${PART}\\.${PART}`;
// A display name: a quoted string (which may hold `,` `;` `:` `@`, and `\"`), or words without
// specials — a `,` or `:` outside quotes would make several mailboxes or a group of them.
const QUOTED = '"(?:[^"\\\\\\x00-\\x1f\\x7f]|\\\\[^\\x00-\\x1f\\x7f])*"';
const PHRASE = '[^\\x00-\\x1f\\x7f<>@()\\[\\]\\\\,;:"]*';
const MAILBOX = new RegExp(`^(?:(?:(${QUOTED})\\s*|(${PHRASE}))<\\s*(${ADDRESS})\\s*>|(${ADDRESS}))$`);
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL = /[\x00-\x1f\x7f]/;

/** One mailbox: the display name (may be empty) and the address. */
export interface Mailbox {
  name: string;
  address: string;
}

/**
 * The one mailbox text names (`news@example.com`, `News <news@example.com>`,
 * `"News, Inc." <news@example.com>`), or null: several addresses, a group, a line break or any
 * other control character is no mailbox. Spaces around it are ignored.
 *
 * @example
 * parseMailbox('"News, Inc." <news@example.com>') // { name: 'News, Inc.', address: 'news@example.com' }
 * parseMailbox('a@example.com, b@example.com') // null
 */
export function parseMailbox(text: string): Mailbox | null {
  if (CONTROL.test(text)) return null;
  const match = MAILBOX.exec(text.trim());
  if (!match) return null;
  const [, quoted, phrase, address, bare] = match;
  if (bare !== undefined) return { name: '', address: bare };
  const name = quoted === undefined ? (phrase ?? '').trim() : quoted.slice(1, -1).replace(/\\(.)/g, '$1');
  return { name, address: address as string };
}

/**
 * Whether text is one mailbox a mail server takes as From or Reply-To. Mail built from anything
 * else goes out without the header or with another sender than meant, so every place a sender
 * is given checks it: `email.send`, template test sends, forms' `confirmationFrom`.
 *
 * @example
 * isMailbox('News <news@example.com>') // true
 * isMailbox('news@example.com\r\nBcc: x@example.com') // false
 */
export function isMailbox(text: string): boolean {
  return parseMailbox(text) !== null;
}

/**
 * The message for a sender field (`/from`, `/confirmationFrom`) that is no mailbox.
 *
 * @example
 * validate: (params) => (isMailbox(params.from) ? [] : [{ path: '/from', message: notMailbox('/from') }]),
 */
export function notMailbox(path: string): string {
  return `${path} must be an email address, such as news@example.com or News <news@example.com>`;
}

/**
 * The Message-ID of email `messageId` from `from`: `<messageId@from-domain>` (`localhost` when
 * `from` names no domain). Replies and delivery reports name it (In-Reply-To, References), and
 * Waymark finds its message by the id before the `@`, with or without `INBOUND_EMAIL_DOMAIN`.
 * Every email sender sets it: SMTP and SES raw mail as the header, an API through its custom
 * headers field.
 *
 * @example
 * ownMessageId({ messageId: '0191…', from: 'News <news@example.com>' }) // '<0191…@example.com>'
 */
export function ownMessageId(message: { messageId: string; from?: string | undefined }): string {
  const address = (message.from === undefined ? null : parseMailbox(message.from))?.address ?? message.from ?? '';
  return `<${message.messageId}@${/@([^\s>]+)/.exec(address)?.[1] ?? 'localhost'}>`;
}
