import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { runEnds } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { fire, installTarball, publishedJourney } from '../journeys.js';
import { pack, writePackage } from '../support.js';

// A package version's process that Waymark can no longer talk to (server/README.md, "package
// processes"): its channel closed under it, or the process killed. Every call it had in flight
// fails once, as a crash (step.crashed, retried), at once rather than at its time limit; a call
// sent meanwhile runs in a new process; and the lost channel is no unhandled 'error' anywhere.
// Before, a package that closed its process's channel (descriptor 3) made the process's next
// answer an unhandled EBADF 'error' that crashed it with a stack trace on Waymark's stderr
// ("code 1"), and a process that sent nothing more left its calls waiting for their limits.
const LOST = "the package's thread crashed: the package's process ended (it lost its channel to Waymark)";

let t: TestApp;
let worker: WorkerHandle;
let standIn: Server;
/** What the packages' attempts told the stand-in: `held <pid>`, `cut <pid>`, `closed <pid>` or `wait <pid>`. */
const heard: string[] = [];
/** The stand-in's answers to `wait`, held until `release()`. */
const waiting: (() => void)[] = [];
const release = () => {
  for (const answer of waiting.splice(0)) answer();
};
/** Unhandled errors of this process (the relay thread's included) while the tests ran. */
const unhandled: unknown[] = [];
const onUnhandled = (error: unknown) => unhandled.push(error);

/**
 * A node whose first attempt, by the trigger's name, holds (`Hold`), closes its process's IPC
 * descriptor and answers (`Cut`: that answer's write is refused), or closes it and holds
 * (`Deaf`: the process itself sends nothing more); each tells the stand-in first, and again
 * once the descriptor is closed (unless the relay has ended the process by then). Any other
 * attempt answers with its process's pid, a `Wait` one once the stand-in answers.
 */
const lossy = (port: number) => `const http = await import('node:http');
const tell = (what) => new Promise((resolve) =>
  http.get('http://127.0.0.1:${port}/' + what + '/' + process.pid, (res) => res.resume().on('end', resolve)));
const name = ctx.trigger.name;
if (ctx.attempt === 1 && name === 'Hold') {
  await tell('held');
  await new Promise(() => {});
}
if (ctx.attempt === 1 && (name === 'Cut' || name === 'Deaf')) {
  await tell('cut');
  const net = await import('node:net');
  new net.Socket({ fd: 3, readable: false, writable: false }).destroy();
  await tell('closed');
  if (name === 'Deaf') await new Promise(() => {});
}
if (name === 'Wait') await tell('wait');
return { next: 'out', output: { pid: process.pid } };`;

beforeAll(async () => {
  process.on('uncaughtException', onUnhandled);
  process.on('unhandledRejection', onUnhandled);
  standIn = createServer((req, res) => {
    const [, what, pid] = (req.url ?? '').split('/');
    heard.push(`${what} ${pid}`);
    if (what === 'wait') waiting.push(() => res.end());
    else res.end();
  });
  await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
  const port = (standIn.address() as AddressInfo).port;
  // Private addresses allowed: the stand-in is on 127.0.0.1.
  t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true' });
  worker = await startWorker(t.runtime, { pollInterval: 100, retry: { retryBaseMs: 500 } });
  // Time limits far past what the tests wait: a held call ends only when its process does.
  for (const [prefix, node] of [
    ['once', 'timeoutMs: 60000, maxAttempts: 1,'],
    ['deaf', 'timeoutMs: 60000, maxAttempts: 2,'],
    ['killed', 'timeoutMs: 60000, maxAttempts: 2,'],
  ] as const) {
    const dir = writePackage({ name: `${prefix}-nodes`, prefix, version: '1.0.0', run: lossy(port), node });
    const res = await installTarball(t, await pack(dir));
    if (res.statusCode !== 201) throw new Error(res.body);
  }
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await t?.close();
  release();
  standIn?.close();
  process.off('uncaughtException', onUnhandled);
  process.off('unhandledRejection', onUnhandled);
});

/** Waits until the stand-in has heard `count` lines starting with `what`; returns their pids. */
async function heardFrom(what: string, count: number): Promise<number[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const pids = heard.filter((h) => h.startsWith(`${what} `)).map((h) => Number(h.split(' ')[1]));
    if (pids.length >= count) return pids;
    if (Date.now() > deadline) throw new Error(`heard ${heard.join(', ')}, not ${count} × ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Waits until the process `pid` has closed its channel (it said so) or is gone: a call sent
 * before that may still be answered by it, through the channel not yet closed.
 */
async function channelClosed(pid: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  const gone = () => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  };
  while (!heard.includes(`closed ${pid}`) && !gone()) {
    if (Date.now() > deadline) throw new Error(`process ${pid} neither closed its channel nor ended`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The run's end, its `shout` step and the pid of the process that step answered from. */
async function ends(runId: string) {
  const { run, steps } = await runEnds(t.runtime.db, runId, undefined, 30_000);
  const step = steps.find((s) => s.node_id === 'shout');
  return { run, step, pid: (step?.output as { pid?: number } | null | undefined)?.pid };
}

/** Expects the run completed, its step answering from a process other than `pid`; returns that step. */
async function answeredElsewhere(runId: string, pid: number | undefined) {
  const { run, step, pid: answeredFrom } = await ends(runId);
  expect(run.status).toBe('completed');
  expect(answeredFrom).toEqual(expect.any(Number));
  expect(answeredFrom).not.toBe(pid);
  return step;
}

describe("a package's process that closes its own channel", () => {
  test('fails the calls it had in flight and the one whose answer it could not send with step.crashed, and exits of itself', async () => {
    heard.length = 0;
    const id = await publishedJourney(t, 'once.shout');
    const holding = [await fire(t, id, 'Hold'), await fire(t, id, 'Hold')];
    const [pid] = await heardFrom('held', 2);
    const cutting = await fire(t, id, 'Cut');
    for (const runId of [...holding, cutting]) {
      const { run, step } = await ends(runId);
      expect(run.status).toBe('failed');
      // Its own exit (the refused write), not a crash of Node's: no "code 1".
      expect(step?.error).toMatchObject({ code: 'step.crashed', retryable: true, message: LOST });
    }
    expect((await heardFrom('cut', 1))[0]).toBe(pid);
    await answeredElsewhere(await fire(t, id, 'Ada'), pid);
    expect(unhandled).toEqual([]);
  }, 90_000);

  test('that sends nothing more is ended within seconds: the calls it had in flight are retried in a new process', async () => {
    heard.length = 0;
    const id = await publishedJourney(t, 'deaf.shout');
    const holding = await fire(t, id, 'Hold');
    const [pid] = await heardFrom('held', 1);
    const deaf = await fire(t, id, 'Deaf');
    await heardFrom('cut', 1);
    const cut = Date.now();
    // Nothing else is sent to it: only the relay's hearing its channel close ends the calls.
    for (const runId of [holding, deaf]) expect((await answeredElsewhere(runId, pid))?.attempts).toBe(2);
    // A second after its channel closed, then the retry: not at the calls' 60 s limit.
    expect(Date.now() - cut).toBeLessThan(40_000);
    expect(unhandled).toEqual([]);
  }, 90_000);

  test('fails a call sent meanwhile to one of its idle threads as a crash, retried in a new process', async () => {
    heard.length = 0;
    const id = await publishedJourney(t, 'deaf.shout');
    // Two threads of one process, at once, left idle: the next two calls go to them.
    const warm = [await fire(t, id, 'Wait'), await fire(t, id, 'Wait')];
    const [pid] = await heardFrom('wait', 2);
    release();
    for (const runId of warm) expect((await ends(runId)).pid).toBe(pid);
    const deaf = await fire(t, id, 'Deaf');
    expect(await heardFrom('cut', 1)).toEqual([pid]);
    await channelClosed(pid as number);
    const meanwhile = await answeredElsewhere(await fire(t, id, 'Eve'), pid);
    // Its idle thread fails it once, unless the relay has already ended the process (a second
    // after its channel closed) and the call went to a new one.
    expect([1, 2]).toContain(meanwhile?.attempts);
    await answeredElsewhere(deaf, pid);
    expect(unhandled).toEqual([]);
  }, 90_000);
});

describe("a package's process killed from outside", () => {
  test('fails every call it had in flight once, each retried in a new process, and a call sent at once runs too', async () => {
    heard.length = 0;
    const id = await publishedJourney(t, 'killed.shout');
    const holding = [await fire(t, id, 'Hold'), await fire(t, id, 'Hold')];
    const [pid] = await heardFrom('held', 2);
    process.kill(pid as number, 'SIGKILL');
    const sent = await fire(t, id, 'Eve');
    for (const runId of holding) expect((await answeredElsewhere(runId, pid))?.attempts).toBe(2);
    await answeredElsewhere(sent, pid);
    expect(unhandled).toEqual([]);
  }, 90_000);
});
