import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { runEnds } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { fire, installTarball, publishedJourney } from '../journeys.js';
import { pack, writePackage } from '../support.js';

// An installed package's run executes in a worker thread with a time limit: whatever it does,
// it fails its own step only, and the worker goes on with every other step.
let t: TestApp;
let worker: WorkerHandle;

const LIMIT_MS = 1500;
// Tells the stuck package's top level whether to hang: a package reads no file but its own,
// so it asks over HTTP (on 127.0.0.1, which WAYMARK_HTTP_ALLOW_PRIVATE lets it reach).
let stuckAnswer = 'load';
let stuckServer: Server;

beforeAll(async () => {
  stuckServer = createServer((_req, res) => res.end(stuckAnswer));
  await new Promise<void>((resolve) => stuckServer.listen(0, '127.0.0.1', resolve));
  const stuckUrl = `http://127.0.0.1:${(stuckServer.address() as AddressInfo).port}/`;
  t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true' });
  worker = await startWorker(t.runtime, { pollInterval: 100 });
  const install = async (
    prefix: string,
    run: string,
    node = `timeoutMs: ${LIMIT_MS}, maxAttempts: 1,`,
    preamble = '',
  ) => {
    const res = await installTarball(
      t,
      await pack(writePackage({ name: `${prefix}-nodes`, prefix, version: '1.0.0', run, node, preamble })),
    );
    if (res.statusCode !== 201) throw new Error(res.body);
  };
  await install('fine', "return { next: 'out', output: { env: Object.keys(process.env).length } };");
  await install('hang', 'return new Promise(() => {});');
  await install('loop', 'for (;;) {}');
  await install('crash', 'setTimeout(() => process.exit(3), 10); return new Promise(() => {});');
  await install('boom', "throw new Error('the package failed on purpose');", 'maxAttempts: 1,');
  // What Node's own network errors look like: an Error with a string code.
  await install(
    'reset',
    "const e = new Error('connect ECONNRESET 1.2.3.4:443'); e.code = 'ECONNRESET'; throw e;",
    'maxAttempts: 1,',
  );
  await install('absent', "await import('left-pad'); return { next: 'out' };", 'maxAttempts: 1,');
  await install(
    'reach',
    "const { Pool } = await import('pg'); return { next: 'out', output: { pool: typeof Pool } };",
    'maxAttempts: 1,',
  );
  const shout = "return { next: 'out', output: { shouted: ctx.params.text.toUpperCase() } };";
  await install('slow', shout, 'timeoutMs: 500, maxAttempts: 1,', 'await new Promise((r) => setTimeout(r, 600));');
  // Loads at install and publish (in their probe threads), then never again in a step's
  // thread: once its journey is published, the server's answer makes every later import wait.
  const stuck = `if ((await (await fetch(${JSON.stringify(stuckUrl)})).text()) === 'hang') await new Promise(() => {});`;
  await install('stuck', shout, 'timeoutMs: 500, maxAttempts: 1,', stuck);
}, 90_000);
afterAll(async () => {
  await worker?.stop();
  await t?.close();
  stuckServer?.close();
});

async function runOf(type: string) {
  return fire(t, await publishedJourney(t, type));
}

const shoutStep = async (runId: string) => {
  const { run, steps } = await runEnds(t.runtime.db, runId, undefined, 20_000);
  return { run, step: steps.find((s) => s.node_id === 'shout') };
};

describe('a package whose run never resolves', () => {
  test('fails its step with step.timeout after its time limit while other steps go on', async () => {
    // The other package's process and thread are started first: what is measured is the hung
    // step holding nothing up, not how fast a busy machine starts a process.
    await shoutStep(await runOf('fine.shout'));
    const started = Date.now();
    const hung = await runOf('hang.shout');
    const other = await shoutStep(await runOf('fine.shout'));
    expect(other.run.status).toBe('completed');
    const meanwhile = await t.runtime.db.selectFrom('runs').select('status').where('id', '=', hung).executeTakeFirst();
    expect(meanwhile?.status).toBe('running');
    const { run, step } = await shoutStep(hung);
    expect(run.status).toBe('failed');
    expect(step?.error).toMatchObject({ code: 'step.timeout', message: expect.stringContaining(`${LIMIT_MS} ms`) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(LIMIT_MS);
  }, 30_000);

  test('an endless synchronous loop is stopped the same way', async () => {
    const { run, step } = await shoutStep(await runOf('loop.shout'));
    expect(run.status).toBe('failed');
    expect(step?.error).toMatchObject({ code: 'step.timeout' });
    const again = await shoutStep(await runOf('fine.shout'));
    expect(again.run.status).toBe('completed');
  }, 30_000);
});

describe("a package's load before its run", () => {
  test("does not count against the run's time limit: a 600 ms import under a 500 ms limit completes at once", async () => {
    const { run, step } = await shoutStep(await runOf('slow.shout'));
    expect(run.status).toBe('completed');
    expect(step?.attempts).toBe(1);
    expect(step?.output).toEqual({ shouted: 'HELLO ADA' });
  }, 30_000);

  test('that never finishes fails the step with step.timeout, naming the load', async () => {
    const journey = await publishedJourney(t, 'stuck.shout');
    stuckAnswer = 'hang';
    const { run, step } = await shoutStep(await fire(t, journey));
    expect(run.status).toBe('failed');
    expect(step?.error).toMatchObject({
      code: 'step.timeout',
      message: 'the package did not finish loading within 10000 ms',
    });
  }, 30_000);
});

describe('a package that crashes or throws', () => {
  test('process.exit in its thread fails the step with step.crashed, not the worker', async () => {
    const { run, step } = await shoutStep(await runOf('crash.shout'));
    expect(run.status).toBe('failed');
    expect(step?.error).toMatchObject({ code: 'step.crashed' });
    expect((await shoutStep(await runOf('fine.shout'))).run.status).toBe('completed');
  }, 30_000);

  test('a thrown error fails that step with its message', async () => {
    const { run, step } = await shoutStep(await runOf('boom.shout'));
    expect(run.status).toBe('failed');
    expect(step?.error).toMatchObject({ message: 'the package failed on purpose' });
  }, 30_000);

  test("a thrown Error with a code of its own (Node's ECONNRESET) is node.exception, retried, not a final failure", async () => {
    const { run, step } = await shoutStep(await runOf('reset.shout'));
    expect(run.status).toBe('failed');
    expect(step?.error).toMatchObject({
      code: 'node.exception',
      retryable: true,
      message: 'connect ECONNRESET 1.2.3.4:443',
    });
  }, 30_000);
});

describe('what a package can reach', () => {
  test('an empty process.env', async () => {
    const { step } = await shoutStep(await runOf('fine.shout'));
    expect(step?.output).toEqual({ env: 0 });
  }, 30_000);

  test.each([
    ["Waymark's own database driver", 'reach.shout', 'pg'],
    ['a package installed nowhere', 'absent.shout', 'left-pad'],
  ])(
    'no package it does not depend on (%s): step.forbidden, not retried',
    async (_what, type, name) => {
      const { run, step } = await shoutStep(await runOf(type));
      expect(run.status).toBe('failed');
      expect(step?.error).toMatchObject({
        code: 'step.forbidden',
        retryable: false,
        message: expect.stringContaining(`cannot import "${name}": a package may import only its own files`),
      });
    },
    30_000,
  );
});
