import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { e, eventually, n } from '../engine/support.js';
import { TEST_TOKEN } from '../support/runtime.js';
import { freePort, type InboundTest, inboundApp, replyTo, SECRET, type SentMail } from './support.js';

let t: InboundTest;
let worker: WorkerHandle;
let base: string;
let journeyId: string;

const HOOK_SECRET = 'journey-hook-secret-0123';
const OWNERS = ['ann@sales.example.com', 'ben@sales.example.com'];

const mail = (subject: string, html: string, links: object[] = []) => ({
  from: 'News <news@example.com>',
  subject,
  html,
  category: 'marketing',
  links,
});

/** "Click A gets follow-up A; if they answer it, a named salesperson gets the lead." */
const graph = {
  nodes: [
    n('t', 'core.webhook', { secret: HOOK_SECRET }),
    n(
      'offer',
      'email.send',
      mail(
        'Pick one',
        '<a data-waymark-key="a" href="https://shop.example.com/a">A</a> <a data-waymark-key="b" href="https://shop.example.com/b">B</a>',
        [{ key: 'a' }, { key: 'b' }],
      ),
    ),
    n('click', 'core.wait-for-event', { event: 'email.clicked', timeout: 'P1D' }),
    n('which', 'core.condition', { filter: { step: 'click', path: 'event.properties.key', op: 'eq', value: 'a' } }),
    n('followA', 'email.send', mail('About A', '<p>Here is more about A.</p>')),
    n('followB', 'email.send', mail('About B', '<p>Here is more about B.</p>')),
    n('answer', 'core.wait-for-event', {
      event: 'email.replied',
      filter: { attr: 'nodeId', op: 'eq', value: 'followA' },
      timeout: 'P7D',
    }),
    n('lead', 'crm.create-lead', {
      title: 'Interested in A: {{ contact.email }}',
      owners: OWNERS,
      assign: 'first',
      notify: true,
    }),
  ],
  edges: [
    e('t', 'offer'),
    e('offer', 'click', 'sent'),
    e('click', 'which', 'event'),
    e('which', 'followA', 'yes'),
    e('which', 'followB', 'no'),
    e('followA', 'answer', 'sent'),
    e('answer', 'lead', 'event'),
  ],
};

/** The API over real HTTP, with the admin token. */
async function api(path: string, init: RequestInit = {}) {
  const res = await fetch(`${base}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json', ...init.headers },
  });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  t = await inboundApp({ PUBLIC_URL: base });
  await t.app.listen({ port, host: '127.0.0.1' });
  worker = await startWorker(t.runtime, { retry: { retryBaseMs: 100 }, pollInterval: 200 });
  const created = await api('/api/journeys', { method: 'POST', body: JSON.stringify({ name: 'Offer A/B', graph }) });
  journeyId = created.body.id;
  expect((await api(`/api/journeys/${journeyId}/publish`, { method: 'POST' })).status).toBe(201);
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

/** Waits for the SMTP peer to receive a mail to `to` with `subject`. */
const received = (to: string, subject: string) =>
  eventually(
    async () => t.smtp.mails.find((m) => m.subject === subject && !Array.isArray(m.to) && m.to?.text === to),
    20_000,
  );

/** A received mail in the shape the reply helpers take. */
const asSent = (m: ParsedMail): SentMail => ({
  messageId: '',
  mail: m,
  envelope: { from: '', to: [] },
  replyTo: m.replyTo?.value[0]?.address ?? '',
});

const runOf = async (runId: string) => (await api(`/api/runs/${runId}`)).body as { status: string };
const runIs = (runId: string, status: string) =>
  eventually(async () => ((await runOf(runId)).status === status ? true : undefined), 20_000);
/** Waits until every token of the run is parked in a wait. */
const parked = (runId: string) => runIs(runId, 'waiting');

/** Enters a contact, clicks link A of the offer for real, and waits for follow-up A. */
async function enterAndClickA(email: string) {
  const hook = await fetch(`${base}/hooks/${journeyId}/t`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-waymark-secret': HOOK_SECRET },
    body: JSON.stringify({ email }),
  });
  expect(hook.status).toBe(202);
  const { runId } = (await hook.json()) as { runId: string };
  const offer = await received(email, 'Pick one');
  await parked(runId); // the click must come after the wait for it began
  const linkA = /data-waymark-key="a" href="([^"]+)"/.exec(String(offer.html))?.[1] as string;
  expect(linkA.startsWith(`${base}/t/c/`)).toBe(true);
  const click = await fetch(linkA, { redirect: 'manual' });
  expect(click.status).toBe(302);
  expect(click.headers.get('location')).toBe('https://shop.example.com/a');
  const followUp = asSent(await received(email, 'About A'));
  await parked(runId);
  return { runId, followUp };
}

function postInbound(raw: Buffer) {
  return fetch(`${base}/hooks/inbound-email`, {
    method: 'POST',
    headers: { 'content-type': 'message/rfc822', 'x-waymark-secret': SECRET },
    body: new Uint8Array(raw),
  });
}

describe('the offer journey, over HTTP', () => {
  test('a reply to follow-up A gives the first owner the lead, and the owner gets a mail about it', async () => {
    const email = 'reader@example.com';
    const { runId, followUp } = await enterAndClickA(email);

    const text =
      'Yes, A looks right for us. Please call me on Monday.\n\n' +
      'On Tue, Jan 6, 2026 at 10:00 AM News <news@example.com> wrote:\n> Here is more about A.\n';
    const reply = await postInbound(await replyTo(followUp, { text }));
    expect(reply.status).toBe(202);

    await runIs(runId, 'completed');
    const contactId = (await api(`/api/runs/${runId}`)).body.contactId as string;
    const replied = await api(`/api/events?contactId=${contactId}&name=email.replied`);
    expect(replied.body.events[0].properties).toMatchObject({
      nodeId: 'followA',
      subject: 'Re: About A',
      text: 'Yes, A looks right for us. Please call me on Monday.',
    });

    const leads = await api(`/api/leads?contactId=${contactId}`);
    expect(leads.body.leads).toMatchObject([
      { title: `Interested in A: ${email}`, owner: OWNERS[0], status: 'open', source: { journeyId, nodeId: 'lead' } },
    ]);
    const notice = await received(OWNERS[0] as string, `New lead: Interested in A: ${email}`);
    expect(notice.text).toContain(email);
    // The owner takes over by answering: the answer goes to the contact, not back to us.
    expect(notice.replyTo?.value[0]?.address).toBe(email);
    expect(t.smtp.mails.filter((m) => !Array.isArray(m.to) && m.to?.text === OWNERS[1])).toEqual([]);
  });

  test('an out-of-office answer does not resume the wait; the real reply later does', async () => {
    const email = 'away@example.com';
    const { runId, followUp } = await enterAndClickA(email);

    const away = await postInbound(
      await replyTo(followUp, {
        subject: 'Out of office: About A',
        headers: { 'Auto-Submitted': 'auto-replied' },
        text: 'I am away until Monday.',
      }),
    );
    expect(await away.json()).toMatchObject({ outcome: 'auto-replied' });
    const contactId = (await api(`/api/runs/${runId}`)).body.contactId as string;
    const auto = await api(`/api/events?contactId=${contactId}&name=email.auto-replied`);
    expect(auto.body.events).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 500));
    expect((await runOf(runId)).status).toBe('waiting');
    expect((await api(`/api/leads?contactId=${contactId}`)).body.leads).toEqual([]);

    await postInbound(await replyTo(followUp, { text: 'Back now - yes please!' }));
    await runIs(runId, 'completed');
    expect((await api(`/api/leads?contactId=${contactId}`)).body.leads).toHaveLength(1);
  });
});
