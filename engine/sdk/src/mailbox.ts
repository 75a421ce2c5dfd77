// One mailbox: `news@example.com` or `News <news@example.com>` (the display name may be quoted).
const MAILBOX = /^(?:[^<>]*<\s*[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+\s*>|[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)$/;

/**
 * Whether text is one mailbox a mail server takes as From or Reply-To. Mail built from anything
 * else goes out without the header (nodemailer drops what it cannot parse), so every place a
 * sender is given checks it: `email.send`, template test sends, forms' `confirmationFrom`.
 */
export function isMailbox(text: string): boolean {
  return MAILBOX.test(text.trim());
}

/** The message for a sender field (`/from`, `/confirmationFrom`) that is no mailbox. */
export function notMailbox(path: string): string {
  return `${path} must be an email address, such as news@example.com or News <news@example.com>`;
}
