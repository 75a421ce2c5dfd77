import { sql } from 'kysely';
import { replyAddress } from '../../engine/inbound/addresses.js';
import { scaled } from '../database.js';
import { createInstance, importContacts } from '../instance.js';
import { cpuNote, load } from '../load.js';
import type { BenchResult } from '../result.js';

const DOMAIN = 'in.bench.test';
const SECRET = 'bench-inbound-secret-0123';

/** A reply as mail clients write it: text and HTML alternatives, quoted history, a signature. */
function reply(to: string, from: string, inReplyTo: string): string {
  const quote = Array.from({ length: 12 }, (_, i) => `> Line ${i} of our spring offer, with a link to the shop.`);
  return [
    `From: ${from}`,
    `To: ${to}`,
    'Subject: Re: Spring offer',
    'Message-ID: <@@ID@@@mail.bench.test>',
    `In-Reply-To: ${inReplyTo}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative; boundary="alt"',
    '',
    '--alt',
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Yes, please call me on Monday. Kiitos!',
    '',
    'On Tue, Jan 6, 2026 at 10:00 AM News <news@example.com> wrote:',
    ...quote,
    '',
    '-- ',
    'Ann Example, ACME Oy',
    '--alt',
    'Content-Type: text/html; charset=UTF-8',
    '',
    `<div>Yes, please call me on Monday. Kiitos!</div><blockquote>${quote.join('<br>')}</blockquote>`,
    '--alt--',
    '',
  ].join('\r\n');
}

/** Replies posted as raw MIME to `POST /hooks/inbound-email`: parsed, matched and recorded per second. */
export async function inboundReplies(bareRps: number | null): Promise<BenchResult[]> {
  const instance = await createInstance({ INBOUND_EMAIL_DOMAIN: DOMAIN, INBOUND_SECRET: SECRET });
  try {
    const { runtime, app } = instance;
    const contacts = scaled(5_000);
    await importContacts(app, contacts, () => ({}));
    // One sent email per contact, as the email.send node leaves it.
    const { rows } = await sql<{ id: string; to: string }>`
      insert into messages (contact_id, node_id, channel, category, "to", status, sent_at)
      select id, 'offer', 'email', 'marketing', email, 'sent', now() from contacts
      returning id, "to"`.execute(runtime.db);
    const templates = rows.map((m) => reply(replyAddress(runtime.keys, m.id, DOMAIN), m.to, `<${m.id}@localhost>`));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const figures = await load({
      url: `http://127.0.0.1:${port}/hooks/inbound-email`,
      method: 'POST',
      headers: { 'content-type': 'message/rfc822', 'x-waymark-secret': SECRET },
      bodies: templates.map((t) => t.replace('@@ID@@', 'r@@N@@')),
    });
    const { rows: recorded } = await sql<{ n: number }>`
      select count(*)::int as n from events where name = 'email.replied'`.execute(runtime.db);
    return [
      {
        workload: 'inbound replies (HTTP)',
        metric: 'replies/s',
        value: Math.round(figures.rps),
        unit: 'req/s',
        // A reply costs a MIME parse plus the whole event path (one transaction of several
        // statements: waits, exitOn, core.event triggers) where the ceiling is one INSERT.
        ratio: bareRps ? { to: 'bare INSERT', value: figures.rps / bareRps, goal: '≥ 0.05×' } : undefined,
        notes: `p50 ${figures.p50} ms, p99 ${figures.p99} ms, non-2xx ${figures.non2xx}, ${recorded[0]?.n ?? 0} email.replied recorded; ${cpuNote(figures)}`,
      },
    ];
  } finally {
    await instance.close();
  }
}
