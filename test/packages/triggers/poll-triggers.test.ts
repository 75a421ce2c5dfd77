import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pollTriggers } from '../../../engine/runs/triggers/poll.js';
import { startWorker } from '../../../engine/worker/start-worker.js';
import { type StandIn, startStandIn } from '../../sending/stand-in.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { installTriggers, runsOf, triggerJourney } from './support.js';

// SDK README "Triggers": an installed package's trigger declares `poll`; the engine calls it
// for each live journey when due (in the package's thread), keeps the state it returns and
// starts one run per item key the journey's node has not seen.

let t: TestApp;
let sheet: StandIn;
let offsetMs = 0;
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
})]`;

beforeAll(async () => {
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
});
