import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { POLL_CONCURRENCY, pollTriggers } from '../../../engine/runs/triggers/poll.js';
import { findPolls } from '../../../engine/runs/triggers/poll-due.js';
import { startWorker } from '../../../engine/worker/start-worker.js';
import { type StandIn, startStandIn } from '../../sending/stand-in.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { installTriggers, republishTrigger, runsOf, triggerJourney } from './support.js';

// SDK README "Triggers": an installed package's trigger declares `poll`; the engine calls it
// for each live journey when due (in the package's thread), keeps the state it returns and
// starts one run per item key the journey's node has not seen.

let t: TestApp;
let sheet: StandIn;
let offsetMs = 0;
/** A sheet that answers nobody until `releaseSlow()`: each request it holds, by path. */
let slow: Server;
let slowUrl: string;
const held: { path: string; res: ServerResponse }[] = [];
/** Rows the stand-in sheet answers, per sheet name (its path). */
const rows = new Map<string, { id: string; email?: string }[]>();

const NEW_ROW = `[defineNode({
  type: 'acme.new-row', version: 1, kind: 'trigger', title: 'New row', description: 'A new row in an Acme sheet',
  category: 'Acme', outputs: ['out'],
  params: { type: 'object', properties: { url: { type: 'string' }, every: { type: 'string' } }, required: ['url'] },
  async run() { return { next: 'out' }; },
  poll: {
    every: (params) => params.every ?? 'PT10M',
    async run(ctx) {
      const res = await ctx.http.request({ method: 'GET', url: ctx.params.url + '?after=' + (ctx.state ?? '') });
      if (res.status !== 200) throw new Error('the sheet answered ' + res.status);
      const found = res.body.rows;
      return {
        items: found.map((row) => ({ key: row.id, payload: { row, env: Object.keys(process.env).length }, ...(row.email ? { contact: { email: row.email } } : {}) })),
        state: found.length ? found[found.length - 1].id : ctx.state,
      };
    },
  },
}), defineNode({
  type: 'acme.stuck-row', version: 1, kind: 'trigger', title: 'Stuck row', description: 'A sheet that never answers',
  category: 'Acme', outputs: ['out'], timeoutMs: 500, params: { type: 'object' },
  async run() { return { next: 'out' }; },
  poll: { async run() { for (;;) {} } },
})]`;

/** Answers every request `slow` holds with one row, its id the path and `-1`. */
function releaseSlow() {
  for (const { path, res } of held.splice(0)) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ rows: [{ id: `${path}-1` }] }));
  }
}

beforeAll(async () => {
  slow = createServer((req, res) => {
    held.push({ path: new URL(req.url ?? '/', 'http://slow').pathname.slice(1), res });
  });
  await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
  slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
  sheet = await startStandIn((request) => {
    const name = new URL(request.url, 'http://sheet').pathname.slice(1);
    const found = rows.get(name);
    return found ? { status: 200, body: { rows: found } } : { status: 503, body: {} };
  });
  t = await createTestApp(
    { WAYMARK_HTTP_ALLOW_PRIVATE: 'true' },
    { clock: { now: () => new Date(Date.now() + offsetMs) } },
  );
  await installTriggers(t, 'acme-sheet-triggers', NEW_ROW);
}, 60_000);
afterAll(async () => {
  releaseSlow();
  await new Promise((resolve) => slow?.close(resolve));
  await t?.close();
  await sheet?.close();
});

/** The requests the stand-in sheet `name` got, as `?after=` values. */
const pollsOf = (name: string) =>
  sheet.requests
    .filter((r) => new URL(r.url, 'http://sheet').pathname === `/${name}`)
    .map((r) => new URL(r.url, 'http://sheet').searchParams.get('after'));

/** Lets `ms` pass on the engine's clock. */
const pass = (ms: number) => {
  offsetMs += ms;
};

describe('a package polling trigger', () => {
  test('starts one run per new key, none for a key seen at an earlier poll, and gets back its state', async () => {
    rows.set('orders', [
      { id: 'r1', email: 'first@example.com' },
      { id: 'r2', email: 'second@example.com' },
    ]);
    const journey = await triggerJourney(t, 'acme.new-row', { url: `${sheet.url}/orders` });
    await pollTriggers(t.runtime);
    expect((await runsOf(t, journey)).map((r) => r.email).sort()).toEqual(['first@example.com', 'second@example.com']);

    rows.set('orders', [
      { id: 'r2', email: 'second@example.com' },
      { id: 'r3', email: 'third@example.com' },
    ]);
    pass(10 * 60_000);
    await pollTriggers(t.runtime);
    const runs = await runsOf(t, journey);
    expect(runs.map((r) => r.email).sort()).toEqual(['first@example.com', 'second@example.com', 'third@example.com']);
    // Its thread has no environment; the second poll was given the first's state.
    expect(runs[0]?.trigger).toMatchObject({ row: { id: 'r1' }, env: 0 });
    expect(pollsOf('orders')).toEqual(['', 'r2']);
  });

  test('is not polled again before its every has passed', async () => {
    rows.set('early', [{ id: 'e1' }]);
    const journey = await triggerJourney(t, 'acme.new-row', { url: `${sheet.url}/early`, every: 'PT30M' });
    await pollTriggers(t.runtime);
    pass(20 * 60_000);
    await pollTriggers(t.runtime);
    expect(pollsOf('early')).toEqual(['']);
    pass(10 * 60_000);
    await pollTriggers(t.runtime);
    expect(pollsOf('early')).toEqual(['', 'e1']);
    // An anonymous run for the item naming no contact, once.
    expect(await runsOf(t, journey)).toEqual([expect.objectContaining({ email: null })]);
  });

  test("a poll that throws starts nothing, holds up no other journey's, and is tried at its next due time", async () => {
    const failing = await triggerJourney(t, 'acme.new-row', { url: `${sheet.url}/missing` });
    rows.set('healthy', [{ id: 'h1', email: 'healthy@example.com' }]);
    const healthy = await triggerJourney(t, 'acme.new-row', { url: `${sheet.url}/healthy` });
    await pollTriggers(t.runtime);
    expect(await runsOf(t, failing)).toEqual([]);
    expect((await runsOf(t, healthy)).map((r) => r.email)).toEqual(['healthy@example.com']);

    rows.set('missing', [{ id: 'm1', email: 'late@example.com' }]);
    await pollTriggers(t.runtime);
    expect(pollsOf('missing')).toEqual(['']);
    pass(10 * 60_000);
    await pollTriggers(t.runtime);
    expect((await runsOf(t, failing)).map((r) => r.email)).toEqual(['late@example.com']);
  });

  test("a paused journey's poll is not called", async () => {
    rows.set('paused', [{ id: 'p1', email: 'paused@example.com' }]);
    const journey = await triggerJourney(t, 'acme.new-row', { url: `${sheet.url}/paused` });
    await t.app.inject({ method: 'POST', url: `/api/journeys/${journey}/pause`, headers: t.auth });
    pass(10 * 60_000);
    await pollTriggers(t.runtime);
    expect(pollsOf('paused')).toEqual([]);
    expect(await runsOf(t, journey)).toEqual([]);
  });

  test('republished with the same params, it keeps its seen keys and state', async () => {
    rows.set('kept', [{ id: 'k1', email: 'kept@example.com' }]);
    const journey = await triggerJourney(t, 'acme.new-row', { url: `${sheet.url}/kept` });
    await pollTriggers(t.runtime);
    const renamed = await t.app.inject({
      method: 'PATCH',
      url: `/api/journeys/${journey}`,
      headers: t.auth,
      payload: { name: 'Kept, renamed' },
    });
    expect(renamed.statusCode).toBe(200);
    const published = await t.app.inject({ method: 'POST', url: `/api/journeys/${journey}/publish`, headers: t.auth });
    expect(published.statusCode).toBe(201);
    pass(10 * 60_000);
    await pollTriggers(t.runtime);
    expect(pollsOf('kept')).toEqual(['', 'k1']);
    expect(await runsOf(t, journey)).toHaveLength(1);
  });

  test("the worker polls a newly published journey's trigger on its own", async () => {
    rows.set('worker', [{ id: 'w1', email: 'worker@example.com' }]);
    const journey = await triggerJourney(t, 'acme.new-row', { url: `${sheet.url}/worker` });
    const worker = await startWorker(t.runtime, { pollInterval: 100 });
    try {
      await expect
        .poll(async () => (await runsOf(t, journey)).map((r) => r.email), { timeout: 15_000, interval: 200 })
        .toEqual(['worker@example.com']);
    } finally {
      await worker.stop();
    }
  });

  test('republished with changed params, it is due at once and starts afresh: no state, no key seen', async () => {
    rows.set('before', [{ id: 'c1' }]);
    rows.set('after', [{ id: 'c1' }]);
    const journey = await triggerJourney(t, 'acme.new-row', { url: `${sheet.url}/before` });
    await pollTriggers(t.runtime);
    await republishTrigger(t, journey, 'acme.new-row', { url: `${sheet.url}/after` });
    await pollTriggers(t.runtime);
    expect(pollsOf('after')).toEqual(['']);
    expect(await runsOf(t, journey)).toHaveLength(2);
  });

  test("a resumed journey's poll whose time passed during the pause is due at once", async () => {
    rows.set('resumed', [{ id: 'z1' }]);
    const journey = await triggerJourney(t, 'acme.new-row', { url: `${sheet.url}/resumed` });
    await pollTriggers(t.runtime);
    await t.app.inject({ method: 'POST', url: `/api/journeys/${journey}/pause`, headers: t.auth });
    rows.set('resumed', [{ id: 'z1' }, { id: 'z2' }]);
    pass(10 * 60_000);
    await pollTriggers(t.runtime);
    const resumed = await t.app.inject({ method: 'POST', url: `/api/journeys/${journey}/resume`, headers: t.auth });
    expect(resumed.statusCode).toBeLessThan(300);
    await pollTriggers(t.runtime);
    expect(pollsOf('resumed')).toEqual(['', 'z1']);
    expect(await runsOf(t, journey)).toHaveLength(2);
  });

  test("a slow poll holds up no other journey's, and a second worker does not poll it again meanwhile", async () => {
    const waiting = await triggerJourney(t, 'acme.new-row', { url: `${slowUrl}/waiting` });
    rows.set('quick', [{ id: 'q1', email: 'quick@example.com' }]);
    const quick = await triggerJourney(t, 'acme.new-row', { url: `${sheet.url}/quick` });
    const first = pollTriggers(t.runtime);
    await expect.poll(() => held.map((h) => h.path), { timeout: 10_000 }).toEqual(['waiting']);
    await expect
      .poll(async () => (await runsOf(t, quick)).map((r) => r.email), { timeout: 10_000 })
      .toEqual(['quick@example.com']);
    // Another worker looking now finds nothing due: the slow poll's turn is taken.
    expect(await pollTriggers(t.runtime)).toBe(0);
    expect(held.map((h) => h.path)).toEqual(['waiting']);
    releaseSlow();
    expect(await first).toBeGreaterThanOrEqual(1);
    expect((await runsOf(t, waiting)).map((r) => r.trigger)).toEqual([
      expect.objectContaining({ row: { id: 'waiting-1' } }),
    ]);
  });

  test('a turn a worker took and never gave back (it died) is taken by another once its lease has passed', async () => {
    rows.set('orphan', [{ id: 'o1' }]);
    const journey = await triggerJourney(t, 'acme.new-row', { url: `${sheet.url}/orphan` });
    await findPolls(t.runtime);
    const now = t.runtime.clock.now().getTime();
    await t.runtime.db
      .updateTable('trigger_state')
      .set({ next_at: new Date(now + 2 * 60_000) })
      .where('journey_id', '=', journey)
      .execute();
    // Taken by a worker that is gone: its token, its lease of 2 minutes.
    await sql`update trigger_state set poll_claim = gen_random_uuid() where journey_id = ${journey}`.execute(
      t.runtime.db,
    );
    pass(60_000);
    await pollTriggers(t.runtime);
    expect(pollsOf('orphan')).toEqual([]);
    pass(2 * 60_000);
    await pollTriggers(t.runtime);
    expect(pollsOf('orphan')).toEqual(['']);
    expect(await runsOf(t, journey)).toHaveLength(1);
  });

  test(`no more than ${POLL_CONCURRENCY} polls run at once in a process; the others wait for a place`, async () => {
    const names = Array.from({ length: POLL_CONCURRENCY + 2 }, (_, i) => `crowd${i}`);
    for (const name of names) await triggerJourney(t, 'acme.new-row', { url: `${slowUrl}/${name}` });
    const polling = pollTriggers(t.runtime);
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(POLL_CONCURRENCY);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(held).toHaveLength(POLL_CONCURRENCY);
    releaseSlow();
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(2);
    releaseSlow();
    await polling;
    expect(held).toHaveLength(0);
  });

  test('a poll that never returns is ended at its time limit, starts nothing and is tried at its next due time', async () => {
    const stuck = await triggerJourney(t, 'acme.stuck-row', {});
    const started = Date.now();
    await pollTriggers(t.runtime);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await runsOf(t, stuck)).toEqual([]);
    const state = await t.runtime.db
      .selectFrom('trigger_state')
      .select(['next_at', 'last_at'])
      .where('journey_id', '=', stuck)
      .executeTakeFirstOrThrow();
    // Its default `every` (PT5M) after its turn was taken.
    expect((state.next_at as Date).getTime() - (state.last_at as Date).getTime()).toBe(5 * 60_000);
  });
});
