import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { e, n, runEnds } from '../engine/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { api, publishJourney } from './support.js';

// NODES.md "Error codes" (contracts/failures.md) of the crm and sms nodes, as a run's failure
// shows them: an SMS gateway is a real listener on 127.0.0.1 answering `gateway.status`.

let t: TestApp;
let worker: WorkerHandle;
let server: Server;
const gateway = { status: 200, url: '' };
const SECRET = 'codes-secret-0123456789';

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(gateway.status, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gateway.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/send`;
  t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true' });
  worker = await startWorker(t.runtime, { pollInterval: 100 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** The failure of a run of trigger → `node` (2 attempts, no backoff) started with `payload`. */
async function failureOf(node: ReturnType<typeof n>, payload: object) {
  const { journeyId } = await publishJourney(t, {
    nodes: [
      n('t', 'core.webhook', { secret: SECRET }),
      { ...node, settings: { retry: { attempts: 2, backoff: 'PT0S' } } },
    ],
    edges: [e('t', node.id)],
  });
  const hook = await t.app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/t`,
    headers: { 'x-waymark-secret': SECRET },
    payload,
  });
  const runId: string = hook.json().runId;
  expect((await runEnds(t.runtime.db, runId)).run.status).toBe('failed');
  return (await api(t, { url: `/api/runs/${runId}` })).body.failure;
}

test('an anonymous run reaching a crm node fails at once as crm.no-contact', async () => {
  const failure = await failureOf(n('tag', 'crm.tag', { action: 'add', tag: 'vip' }), {});
  expect(failure).toMatchObject({ nodeId: 'tag', error: { code: 'crm.no-contact', attempts: 1, retryable: false } });
});

describe('sms.send', () => {
  let sms: ReturnType<typeof n>;
  beforeAll(async () => {
    const credential = await api(t, {
      method: 'POST',
      url: '/api/credentials',
      payload: { name: 'Gateway', type: 'sms.http-gateway', data: { url: gateway.url } },
    });
    expect(credential.status).toBe(201);
    sms = n('sms', 'sms.send', { credential: credential.body.id, body: 'Hi', category: 'transactional' });
  });

  test('to a contact without a phone fails at once as sms.no-phone', async () => {
    const failure = await failureOf(sms, { email: 'nophone@example.com' });
    expect(failure.error).toMatchObject({ code: 'sms.no-phone', attempts: 1, retryable: false });
  });

  test('refused by the gateway (400) fails at once as sms.rejected', async () => {
    gateway.status = 400;
    const failure = await failureOf(sms, { phone: '+358401234501' });
    expect(failure.error).toMatchObject({ code: 'sms.rejected', attempts: 1, retryable: false });
  });

  test('a gateway answering 503 is retried under the policy, then fails as sms.unavailable', async () => {
    gateway.status = 503;
    const failure = await failureOf(sms, { phone: '+358401234502' });
    expect(failure.error).toMatchObject({ code: 'sms.unavailable', attempts: 2, retryable: true });
  });
});
