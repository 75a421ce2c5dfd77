import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRun } from '../../../engine/runs/entry/start.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { insertContact } from '../../channels/scope.js';
import { e, eventually, n, publish, runEnds } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { type StandIn, type StandInAnswer, startStandIn } from '../stand-in.js';

// A held message waits for its turn (sending.md "Send rates and the backlog"); once its run
// ends it never goes: it leaves its credential's backlog instead of waiting there for ever.

let t: TestApp;
let api: StandIn;
let worker: WorkerHandle;
let contacts = 0;

beforeAll(async () => {
  api = await startStandIn(() => ({ status: 500 }));
  t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true' });
  worker = await startWorker(t.runtime, { pollInterval: 100 });
});
afterAll(async () => {
  await worker.stop();
  await t.close();
  await api.close();
});

const delivered: StandInAnswer = { status: 200, body: { MessageID: 'pm-1', ErrorCode: 0, Message: 'OK' } };

async function postmarkCredential(data: Record<string, unknown> = {}): Promise<string> {
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/credentials',
    headers: t.auth,
    payload: { name: 'pm', type: 'postmark.server', data: { serverToken: 'pm-token', endpoint: api.url, ...data } },
  });
  expect(created.statusCode).toBe(201);
  return (created.json() as { id: string }).id;
}

/** Runs a journey that mails each of `count` new contacts through the credential; their run ids. */
async function mailRuns(credential: string, count: number): Promise<string[]> {
  const mail = n('mail', 'email.send', {
    from: 'News <news@example.com>',
    subject: 'Hello',
    html: '<p>Hello</p>',
    category: 'transactional',
    credential,
  });
  const j = await publish(t.runtime.db, { nodes: [n('t', 'core.webhook'), mail], edges: [e('t', 'mail')] });
  const runIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const contactId = await insertContact(t.runtime, { email: `held${++contacts}@example.org` });
    const started = await startRun(t.runtime.db, { ...j, triggerNodeId: 't', contactId, trigger: {} });
    runIds.push(started?.runId as string);
  }
  return runIds;
}

async function get<T>(url: string): Promise<T> {
  const res = await t.app.inject({ method: 'GET', url, headers: t.auth });
  expect(res.statusCode).toBe(200);
  return res.json() as T;
}

type Message = { runId: string; status: string; createdAt: string };
const messagesOf = async (runId: string) =>
  (await get<{ messages: Message[] }>(`/api/messages?runId=${runId}`)).messages;
const backlog = (credential: string) =>
  get<{ queued: number; oldestQueuedAt: string | null }>(`/api/credentials/${credential}/backlog`);

async function cancel(runId: string) {
  const res = await t.app.inject({ method: 'POST', url: `/api/runs/${runId}/cancel`, headers: t.auth });
  expect(res.statusCode).toBe(200);
}

test('messages held for the rate whose runs are cancelled leave the backlog; the others go', async () => {
  api.answer(() => delivered);
  const credential = await postmarkCredential({ maxPerSecond: 1 });
  const runIds = await mailRuns(credential, 8);
  // One goes at once, seven wait for their seconds: cancel the four furthest back.
  const held = await eventually(async () => {
    const all = (await Promise.all(runIds.map(messagesOf))).flat();
    return all.length === 8 && all.filter((m) => m.status === 'queued').length >= 6 ? all : undefined;
  });
  const cancelled = held
    .filter((m) => m.status === 'queued')
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .slice(0, 4)
    .map((m) => m.runId);
  for (const runId of cancelled) await cancel(runId);
  const others = runIds.filter((id) => !cancelled.includes(id));
  for (const runId of others)
    expect((await runEnds(t.runtime.db, runId, ['completed'], 15_000)).run.status).toBe('completed');

  expect(await backlog(credential)).toMatchObject({ queued: 0, oldestQueuedAt: null });
  for (const runId of cancelled) expect((await messagesOf(runId))[0]?.status).toBe('failed');
  expect(api.requests.filter((r) => r.url === '/email')).toHaveLength(4);
}, 30_000);

test('a message held after a 429 whose run is cancelled leaves the backlog', async () => {
  api.answer(() => ({ status: 429, headers: { 'retry-after': '30' } }));
  const credential = await postmarkCredential();
  const [runId] = await mailRuns(credential, 1);
  await eventually(async () => (await backlog(credential)).queued === 1);
  await cancel(runId as string);
  expect(await backlog(credential)).toMatchObject({ queued: 0, oldestQueuedAt: null });
  expect((await messagesOf(runId as string))[0]).toMatchObject({ status: 'failed' });
});

test('a message held after 429s keeps the time it was first queued', async () => {
  api.answer(() => ({ status: 429, headers: { 'retry-after': '1' } }));
  const credential = await postmarkCredential();
  const before = api.requests.length;
  const [runId] = await mailRuns(credential, 1);
  const first = await eventually(async () => (await backlog(credential)).oldestQueuedAt ?? undefined);
  // Asked again twice, held again twice.
  await eventually(async () => api.requests.length - before >= 3, 10_000);
  expect((await backlog(credential)).oldestQueuedAt).toBe(first);
  expect((await messagesOf(runId as string))[0]?.createdAt).toBe(first);
  await cancel(runId as string);
}, 20_000);
