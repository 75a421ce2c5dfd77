import { Writable } from 'node:stream';
import { defineCredential, defineNode, definePackage, NodeError } from '@waymark/sdk';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { GraphNode } from '../../../engine/graph/types.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { e, eventually, n, runEnds, testPackage } from '../../engine/support.js';
import { installTarball } from '../../packages/journeys.js';
import { pack, writePackage } from '../../packages/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { api, publishJourney, type StandIn, standIn, start } from '../support.js';

// failures.md "Step errors": a step error's message is for people, never a credential. A URL
// carries them in its user and password and in its query values, and http.request names the
// URL it called when it fails.

let t: TestApp;
let worker: WorkerHandle;
let crm: StandIn;
let watcher: { journeyId: string; version: number };
/** The server log's lines. */
const logLines: string[] = [];

beforeAll(async () => {
  const log = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true' }, { logger: pino({ level: 'info' }, log) });
  t.runtime.registry.add(testPackage);
  t.runtime.registry.add(
    definePackage({
      name: 'leak-nodes',
      version: '1.0.0',
      nodes: [leak, gatewayEcho],
      credentials: [leakyKey, markedKey],
    }),
  );
  worker = await startWorker(t.runtime, { pollInterval: 100, retry: { retryBaseMs: 50 } });
  crm = await standIn();
  watcher = await publishJourney(
    t,
    { nodes: [n('t', 'core.run-failed', {}), n('seen', 'tst.step')], edges: [e('t', 'seen')] },
    'Watch failures',
  );
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
  await crm?.close();
});

/** Runs trigger → call (http.request to `url`, one attempt) to its failure; returns the run as the API shows it. */
async function failedCall(url: string) {
  const call = { ...n('call', 'http.request', { method: 'POST', url }), settings: { retry: { attempts: 1 } } };
  const j = await publishJourney(t, { nodes: [n('t', 'tst.trigger'), call], edges: [e('t', 'call')] });
  const runId = await start(t, j);
  expect((await runEnds(t.runtime.db, runId)).run.status).toBe('failed');
  return { ...j, run: (await api(t, { url: `/api/runs/${runId}` })).body };
}

test('a failed call names its URL without user, password or query values, wherever its error shows', async () => {
  const url = crm.url.replace('http://', 'http://user:s3cretpw@');
  const { journeyId, run } = await failedCall(`${url}/s/500?token=t0ken&page=2`);
  const message = `POST ${crm.url.replace('http://', 'http://***@')}/s/500?token=***&page=*** answered 500`;

  expect(run.steps.find((s: { nodeId: string }) => s.nodeId === 'call').error.message).toBe(message);
  expect(run.failure.error).toMatchObject({ code: 'http.status-500', message });
  const { body: view } = await api(t, { url: `/api/journeys/${journeyId}/failures` });
  expect(view.groups[0].sample.error.message).toBe(message);
  const alert = await eventually(async () => {
    const { body } = await api(t, { url: `/api/runs?journeyId=${watcher.journeyId}` });
    return body.runs.find((r: { trigger: { runId: string } }) => r.trigger.runId === run.id);
  });
  expect(alert.trigger.error.message).toBe(message);
  expect(JSON.stringify([run, view, alert])).not.toMatch(/s3cretpw|t0ken/);
});

test('a URL that does not parse is named without what may be its credentials', async () => {
  const { run } = await failedCall('http://user:s3cretpw@127.0.0.1:99999/s?token=t0ken');
  expect(run.failure.error).toMatchObject({
    code: 'http.invalid-url',
    message: '"http://***@127.0.0.1:99999/s?token=***" is not a URL',
  });
});

// SDK.md "Credentials": a credential never appears in a step's output, a log line or an error
// message, whatever the node does with what ctx.credentials.get gave it.

const KEY = 'sk-live-0123456789';

const leakyKey = defineCredential({
  type: 'leak.key',
  title: 'Leaky key',
  schema: { type: 'object', properties: { key: { type: 'string' }, region: { type: 'string' } }, required: ['key'] },
});

/** A type that says which of its fields are secret (`writeOnly`): its region is not. */
const markedKey = defineCredential({
  type: 'leak.marked',
  title: 'Key with a region',
  schema: {
    type: 'object',
    properties: { key: { type: 'string', writeOnly: true }, region: { type: 'string' } },
    required: ['key'],
  },
});

/** Reads its credential and hands it on as `how` says: in its output, its error or its log. */
const leak = defineNode({
  type: 'leak.node',
  version: 1,
  kind: 'action',
  title: 'Leak',
  description: '',
  category: 'Test',
  params: {
    type: 'object',
    properties: {
      account: { type: 'string', format: 'credential' },
      how: { type: 'string', enum: ['return', 'throw', 'log'] },
    },
    required: ['account', 'how'],
  },
  outputs: ['out'],
  credentials: ['leak.key', 'leak.marked'],
  maxAttempts: 1,
  async run(ctx) {
    const { key, region } = await ctx.credentials.get<{ key: string; region: string }>(ctx.params.account);
    if (ctx.params.how === 'throw')
      throw new NodeError(`Acme refused ${key}`, { code: 'leak.refused', output: { sent: `Bearer ${key}` } });
    if (ctx.params.how === 'log') ctx.log.warn({ headers: { authorization: `Bearer ${key}` } }, `calling with ${key}`);
    return { next: 'out', output: { region, headers: [{ authorization: `Bearer ${key}` }] } };
  },
});

/** Reads an SMS gateway credential and hands on its URL and the key in its query, as a gateway echoing them would. */
const gatewayEcho = defineNode({
  type: 'leak.gateway',
  version: 1,
  kind: 'action',
  title: 'Gateway echo',
  description: '',
  category: 'Test',
  params: { type: 'object', properties: { account: { type: 'string', format: 'credential' } }, required: ['account'] },
  outputs: ['out'],
  credentials: ['sms.http-gateway'],
  maxAttempts: 1,
  async run(ctx) {
    const { url } = await ctx.credentials.get<{ url: string }>(ctx.params.account);
    return { next: 'out', output: { url, refused: `unknown key ${new URL(url).searchParams.get('key')}` } };
  },
});

/** The ended run of trigger → `node` (id `leak`) as GET /api/runs/:id shows it, and its step of `node`. */
async function leakRun(node: GraphNode, trigger = {}) {
  const j = await publishJourney(t, { nodes: [n('t', 'tst.trigger'), node], edges: [e('t', 'leak')] });
  const runId = await start(t, j, trigger);
  await runEnds(t.runtime.db, runId, undefined, 20_000);
  const { body: run } = await api(t, { url: `/api/runs/${runId}` });
  return { run, step: run.steps.find((s: { nodeId: string }) => s.nodeId === 'leak') };
}

describe('a credential the node read', () => {
  let account: string;
  beforeAll(async () => {
    const created = await api(t, {
      method: 'POST',
      url: '/api/credentials',
      payload: { name: 'Leaky', type: 'leak.key', data: { key: KEY, region: 'eu' } },
    });
    account = created.body.id;
  });

  test('shows as [redacted] in its output, at any depth, short strings of a type that marks no field too', async () => {
    const { step } = await leakRun(n('leak', 'leak.node', { account, how: 'return' }));
    expect(step.output).toEqual({ region: '[redacted]', headers: [{ authorization: 'Bearer [redacted]' }] });
  });

  test('shows as [redacted] in its error message, its error output and the run failure', async () => {
    const { run, step } = await leakRun(n('leak', 'leak.node', { account, how: 'throw' }));
    expect(step.error).toMatchObject({ code: 'leak.refused', message: 'Acme refused [redacted]' });
    expect(run.failure.error).toMatchObject({ message: 'Acme refused [redacted]' });
    expect(JSON.stringify(run)).not.toContain(KEY);
  });

  test('shows as [redacted] in the lines its ctx.log writes', async () => {
    await leakRun(n('leak', 'leak.node', { account, how: 'log' }));
    const line = logLines.find((l) => l.includes('calling with'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({
      msg: 'calling with [redacted]',
      headers: { authorization: 'Bearer [redacted]' },
    });
    expect(logLines.join('\n')).not.toContain(KEY);
  });
});

test('a credential whose type marks its secret fields shows only those as [redacted]', async () => {
  const created = await api(t, {
    method: 'POST',
    url: '/api/credentials',
    payload: { name: 'Marked', type: 'leak.marked', data: { key: KEY, region: 'eu-west-1' } },
  });
  const { step } = await leakRun(n('leak', 'leak.node', { account: created.body.id, how: 'return' }));
  expect(step.output).toEqual({ region: 'eu-west-1', headers: [{ authorization: 'Bearer [redacted]' }] });
});

test("an SMS gateway's URL is a secret: it and the key in its query show as [redacted]", async () => {
  const created = await api(t, {
    method: 'POST',
    url: '/api/credentials',
    payload: { name: 'Gateway', type: 'sms.http-gateway', data: { url: 'https://sms.example.com/send?key=gw-k3y' } },
  });
  expect(created.status).toBe(201);
  const { step } = await leakRun(n('leak', 'leak.gateway', { account: created.body.id }));
  expect(step.output).toEqual({ url: '[redacted]', refused: 'unknown key [redacted]' });
});

describe("an installed package's credential, read in its thread", () => {
  let account: string;
  beforeAll(async () => {
    const run = `const { key } = await ctx.credentials.get(ctx.params.text);
      if (ctx.trigger.how === 'throw') throw new Error('Acme refused ' + key);
      ctx.log.info({ key }, 'thread calling with ' + key);
      return { next: 'out', output: { header: 'Bearer ' + key } };`;
    const spec = {
      name: 'inst-nodes',
      version: '1.0.0',
      prefix: 'inst',
      run,
      node: "credentials: ['inst.key'], maxAttempts: 1,",
      credentials:
        "[{ type: 'inst.key', title: 'Key', schema: { type: 'object', properties: { key: { type: 'string' } } } }]",
    };
    const installed = await installTarball(t, await pack(writePackage(spec)));
    if (installed.statusCode !== 201) throw new Error(installed.body);
    const created = await api(t, {
      method: 'POST',
      url: '/api/credentials',
      payload: { name: 'Installed', type: 'inst.key', data: { key: KEY } },
    });
    account = created.body.id;
  }, 60_000);

  test('shows as [redacted] in its output and its log lines', async () => {
    const { step } = await leakRun(n('leak', 'inst.shout', { text: account }));
    expect(step.output).toEqual({ header: 'Bearer [redacted]' });
    const line = logLines.find((l) => l.includes('thread calling with'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({ msg: 'thread calling with [redacted]', key: '[redacted]' });
  }, 30_000);

  test('shows as [redacted] in its error message', async () => {
    const { run } = await leakRun(n('leak', 'inst.shout', { text: account }), { how: 'throw' });
    expect(run.failure.error).toMatchObject({ code: 'node.exception', message: 'Acme refused [redacted]' });
    expect(JSON.stringify(run)).not.toContain(KEY);
  }, 30_000);
});
