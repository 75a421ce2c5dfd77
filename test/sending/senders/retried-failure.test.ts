import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { GraphNode } from '../../../engine/graph/types.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { insertContact } from '../../channels/scope.js';
import { e, eventually, n, publish, runEnds, startAtTrigger } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { type StandIn, startStandIn } from '../stand-in.js';

// NODES.md: provider.unavailable (a 5xx, a timeout) is retried. While its step waits for the
// next attempt the message is not failed: it stays queued (API.md: `failed` is final), with
// the last refusal as its error; it fails only when the step gives up.

let t: TestApp;
let api: StandIn;
let worker: WorkerHandle;
let credential: string;
let people = 0;

const OK = { status: 200, body: { MessageID: 'pm-retried', ErrorCode: 0, Message: 'OK' } };
const DOWN = { status: 503, body: { Message: 'Service unavailable' } };

beforeAll(async () => {
  api = await startStandIn(() => DOWN);
  t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true' });
  worker = await startWorker(t.runtime, { pollInterval: 100 });
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/credentials',
    headers: t.auth,
    payload: { name: 'pm', type: 'postmark.server', data: { serverToken: 'pm-token', endpoint: api.url } },
  });
  credential = (created.json() as { id: string }).id;
});
afterAll(async () => {
  await worker.stop();
  await t.close();
  await api.close();
});

/** A run of a journey mailing through Postmark, its mail step retried `attempts` times in all. */
async function mailRun(settings: GraphNode['settings'], extra: { nodes: GraphNode[]; out?: string } = { nodes: [] }) {
  const mail = n('mail', 'email.send', {
    from: 'News <news@example.com>',
    subject: 'Hello',
    html: '<p>Hello</p>',
    category: 'transactional',
    credential,
  });
  const graph = {
    nodes: [n('t', 'core.webhook'), { ...mail, settings }, ...extra.nodes],
    edges: [e('t', 'mail'), ...extra.nodes.map((node) => e('mail', node.id, extra.out))],
  };
  people++;
  const contactId = await insertContact(t.runtime, { email: `retried${people}@example.org` });
  return startAtTrigger(t.runtime.db, await publish(t.runtime.db, graph), contactId);
}

async function messagesOf(runId: string) {
  const res = await t.app.inject({ method: 'GET', url: `/api/messages?runId=${runId}`, headers: t.auth });
  return (res.json() as { messages: Record<string, unknown>[] }).messages;
}

async function runStatus(runId: string) {
  const res = await t.app.inject({ method: 'GET', url: `/api/runs/${runId}`, headers: t.auth });
  return (res.json() as { status: string }).status;
}

describe('a send the provider could not take, retried', () => {
  test('is queued with the refusal while the step waits, then sent', async () => {
    api.answer(() => DOWN);
    const runId = await mailRun({ retry: { attempts: 3, backoff: 'PT2S' } });
    const [waiting] = await eventually(async () => {
      const listed = await messagesOf(runId);
      return listed[0]?.error ? listed : undefined;
    });
    expect(waiting).toMatchObject({ status: 'queued', error: expect.stringMatching(/^provider\.unavailable: /) });
    expect(waiting?.reason).toBeUndefined();
    expect(await runStatus(runId)).toBe('running');

    api.answer(() => OK);
    const { run } = await runEnds(t.runtime.db, runId, ['completed', 'failed', 'exited'], 15_000);
    expect(run.status).toBe('completed');
    const [sent] = await messagesOf(runId);
    expect(sent).toMatchObject({ status: 'sent', providerId: 'pm-retried' });
    expect(sent?.error).toBeUndefined();
  }, 30_000);

  test('fails when the step gives up, keeping the last refusal', async () => {
    api.answer(() => DOWN);
    const runId = await mailRun({ retry: { attempts: 2, backoff: 'PT1S' } });
    const { run } = await runEnds(t.runtime.db, runId, ['completed', 'failed', 'exited'], 15_000);
    expect(run.status).toBe('failed');
    const [failed] = await messagesOf(runId);
    expect(failed).toMatchObject({ status: 'failed', error: expect.stringMatching(/^provider\.unavailable: /) });
    expect(failed?.reason).toBeUndefined();
  }, 30_000);

  test('fails when the step gives up and its error edge goes on', async () => {
    api.answer(() => DOWN);
    const runId = await mailRun(
      { retry: { attempts: 2, backoff: 'PT1S' }, onError: 'output' },
      { nodes: [n('after', 'core.exit')], out: 'error' },
    );
    const { run } = await runEnds(t.runtime.db, runId, ['completed', 'failed', 'exited'], 15_000);
    expect(run.status).toBe('completed');
    const [failed] = await messagesOf(runId);
    expect(failed).toMatchObject({ status: 'failed', error: expect.stringMatching(/^provider\.unavailable: /) });
  }, 30_000);
});
