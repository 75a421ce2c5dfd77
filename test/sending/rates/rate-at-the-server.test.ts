import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMessagesService } from '../../../engine/messages/service.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { insertContact, stepScope } from '../../channels/scope.js';
import { e, n } from '../../engine/support.js';
import { api } from '../../failures/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { type StandIn, startStandIn } from '../stand-in.js';
import { arrivals, busiestWindow } from './arrivals.js';

// sending.md "Send rates and the backlog", as a provider sees it: a credential's maxPerSecond
// (and a journey's sendRate) bounds the requests that ARRIVE at its server in any sliding
// second, and held messages arrive in the order they were queued. The stand-in records when
// each request reached it; the assertions count arrivals per window, never durations. (A held
// message woken late may still be passed by a later held one woken sooner: server/README.md.)

const SECRET = 'a-secret-of-16-chars';
let t: TestApp;
let server: StandIn;
let worker: WorkerHandle;

beforeAll(async () => {
  server = await startStandIn(postmarkAnswer);
  t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true' });
  // Polling each second, the worker wakes a parked step up to a second after its time, as a
  // loaded worker does: held messages come back late, and new ones arrive meanwhile.
  worker = await startWorker(t.runtime, { pollInterval: 1000 });
});
afterAll(async () => {
  await worker.stop();
  await t.close();
  await server.close();
});

function postmarkAnswer() {
  return { status: 200, body: { MessageID: `pm-${Math.random()}`, ErrorCode: 0, Message: 'OK' } };
}

async function postmarkCredential(maxPerSecond: number): Promise<string> {
  const res = await api(t, {
    method: 'POST',
    url: '/api/credentials',
    payload: {
      name: 'postmark',
      type: 'postmark.server',
      data: { serverToken: 'pm-token', endpoint: server.url, maxPerSecond },
    },
  });
  return res.body.id as string;
}

/** A step's send to a new contact, once (its answer: sent, or delayed until its turn). */
async function sendOnce(credential: string, email: string) {
  const contactId = await insertContact(t.runtime, { email });
  const scope = await stepScope(t.runtime, { contactId });
  const request = {
    channel: 'email',
    category: 'transactional',
    from: 'News <news@example.com>',
    subject: 'Hello',
    html: '<p>Hello</p>',
    credential,
  } as const;
  const first = await createMessagesService(scope).send(request);
  /** The step woken again (the engine does this at `until`, or later when it is busy). */
  const again = async () => createMessagesService({ ...scope, now: () => new Date() }).send(request);
  return { first, again };
}

/** A published journey: webhook → email.send through a postmark.server credential at the stand-in. */
async function journeyThroughPostmark(maxPerSecond: number | null, sendRate?: object) {
  const credential = await api(t, {
    method: 'POST',
    url: '/api/credentials',
    payload: {
      name: 'postmark',
      type: 'postmark.server',
      data: { serverToken: 'pm-token', endpoint: server.url, ...(maxPerSecond ? { maxPerSecond } : {}) },
    },
  });
  const mail = n('mail', 'email.send', {
    from: 'News <news@example.com>',
    subject: 'Hello',
    html: '<p>Hello</p>',
    category: 'transactional',
    credential: credential.body.id,
  });
  const graph = { nodes: [n('hook', 'core.webhook', { secret: SECRET }), mail], edges: [e('hook', 'mail')] };
  const created = await api(t, {
    method: 'POST',
    url: '/api/journeys',
    payload: { name: 'At the server', graph, ...(sendRate ? { settings: { sendRate } } : {}) },
  });
  await api(t, { method: 'POST', url: `/api/journeys/${created.body.id}/publish` });
  return created.body.id as string;
}

async function enter(journeyId: string, email: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/hook`,
    headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
    payload: { email },
  });
  expect(res.statusCode).toBe(202);
}

describe('a send rate at the receiving server', () => {
  test('a credential at 2/s never has three requests arrive within one second at its server, even when twenty are sent at once', async () => {
    const journeyId = await journeyThroughPostmark(2);
    await Promise.all(Array.from({ length: 20 }, (_, i) => enter(journeyId, `burst${i}@example.com`)));
    const got = await arrivals(server, 'burst', 20);
    expect(got).toHaveLength(20);
    expect(
      busiestWindow(
        got.map((r) => r.at),
        1000,
      ),
    ).toBeLessThanOrEqual(2);
  }, 60_000);

  test('a credential at 5/s never has six requests arrive within one second, from the cold first window on', async () => {
    const journeyId = await journeyThroughPostmark(5);
    await Promise.all(Array.from({ length: 30 }, (_, i) => enter(journeyId, `five${i}@example.com`)));
    const got = await arrivals(server, 'five', 30);
    expect(
      busiestWindow(
        got.map((r) => r.at),
        1000,
      ),
    ).toBeLessThanOrEqual(5);
  }, 60_000);

  test("a journey's sendRate of 3 a second never has four of its requests arrive within one second", async () => {
    const journeyId = await journeyThroughPostmark(null, { count: 3, perSeconds: 1 });
    await Promise.all(Array.from({ length: 15 }, (_, i) => enter(journeyId, `journey${i}@example.com`)));
    const got = await arrivals(server, 'journey', 15);
    expect(
      busiestWindow(
        got.map((r) => r.at),
        1000,
      ),
    ).toBeLessThanOrEqual(3);
  }, 60_000);

  test('a new message never overtakes a held one: a held message that comes back late keeps its place', async () => {
    const credential = await postmarkCredential(2);
    for (const email of ['late1@example.com', 'late2@example.com'])
      expect((await sendOnce(credential, email)).first).toMatchObject({ status: 'sent' });
    const third = await sendOnce(credential, 'late3@example.com');
    expect(third.first).toMatchObject({ status: 'delayed', reason: 'send-rate' });
    // Its turn comes a second after the first, but its step is woken half a second late; a new
    // message is sent in between, when the rate would let one go.
    const until = (third.first.until as Date).getTime();
    await new Promise((r) => setTimeout(r, until + 200 - Date.now()));
    const fourth = await sendOnce(credential, 'late4@example.com');
    await new Promise((r) => setTimeout(r, until + 500 - Date.now()));
    for (const step of [third, fourth]) {
      let answer = fourth === step ? fourth.first : await step.again();
      while (answer.status === 'delayed' && answer.until) {
        await new Promise((r) => setTimeout(r, Math.max(0, (answer.until as Date).getTime() - Date.now())));
        answer = await step.again();
      }
      expect(answer).toMatchObject({ status: 'sent' });
    }
    const got = await arrivals(server, 'late', 4);
    expect(got.map((r) => r.to)).toEqual([1, 2, 3, 4].map((i) => `late${i}@example.com`));
    expect(
      busiestWindow(
        got.map((r) => r.at),
        1000,
      ),
    ).toBeLessThanOrEqual(2);
  }, 30_000);
});
