import { Worker } from 'node:worker_threads';
import { describe, expect, test } from 'vitest';
import { MAX_THREADS, ThreadPool } from '../../../engine/packages/isolation/thread-pool.js';

// Real threads that do nothing but live: what the pool lends, keeps and ends.
const idleThread = () => new Worker('setInterval(() => {}, 1000);', { eval: true });
const never = new AbortController().signal;

async function full(pool: ThreadPool<Worker>): Promise<Worker[]> {
  return Promise.all(Array.from({ length: MAX_THREADS }, () => pool.acquire(never)));
}

describe("a package version's thread pool", () => {
  test('lends a thread back once its attempt answered instead of starting another', async () => {
    const pool = new ThreadPool(idleThread);
    const first = await pool.acquire(never);
    pool.release(first);
    expect(await pool.acquire(never)).toBe(first);
    await first.terminate();
  });

  test(`an attempt beyond ${MAX_THREADS} at once waits for the next thread freed`, async () => {
    const pool = new ThreadPool(idleThread);
    const busy = await full(pool);
    let lent: Worker | undefined;
    const waiting = pool.acquire(never).then((worker) => {
      lent = worker;
      return worker;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(lent).toBeUndefined();
    pool.release(busy[3] as Worker);
    expect(await waiting).toBe(busy[3]);
    await Promise.all(busy.map((w) => w.terminate()));
  });

  test('a thread ended past its time limit is replaced for the attempt waiting', async () => {
    const pool = new ThreadPool(idleThread);
    const busy = await full(pool);
    const waiting = pool.acquire(never);
    pool.discard(busy[0] as Worker);
    const fresh = await waiting;
    expect(busy).not.toContain(fresh);
    await Promise.all([...busy, fresh].map((w) => w.terminate()));
  });

  test('an attempt aborted while it waits leaves the queue', async () => {
    const pool = new ThreadPool(idleThread);
    const busy = await full(pool);
    const abort = new AbortController();
    const waiting = pool.acquire(abort.signal);
    abort.abort(new Error('the step timed out'));
    await expect(waiting).rejects.toThrow('the step timed out');
    pool.release(busy[0] as Worker);
    // The freed thread went idle, not to the aborted attempt: the next attempt gets it at once.
    expect(await pool.acquire(never)).toBe(busy[0]);
    await Promise.all(busy.map((w) => w.terminate()));
  });
});
