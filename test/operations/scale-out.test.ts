import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { e, eventually, n, publish } from '../engine/support.js';
import { parsePrometheus, sampleValue } from '../support/prometheus.js';
import { createTestRuntime, TEST_TOKEN, type TestRuntime } from '../support/runtime.js';
import { kill, startWaymark, type WaymarkProcess } from './support/processes.js';

const SECRET = 'a-webhook-secret-of-some-length';
const CONCURRENCY = 4;
const env = {
  WAYMARK_SECRET_KEY: 'test-secret-key-0123456789',
  WAYMARK_API_TOKEN: TEST_TOKEN,
  WAYMARK_HTTP_ALLOW_PRIVATE: 'true',
  WAYMARK_WORKER_CONCURRENCY: String(CONCURRENCY),
  WAYMARK_DATA_DIR: '/tmp/waymark-test-data',
};
let t: TestRuntime;
const processes: WaymarkProcess[] = [];
let target: http.Server;
let targetUrl: string;
/** Calls the journey's http.request steps made, by their Idempotency-Key. */
const calls = new Map<string, number>();

beforeAll(async () => {
  t = await createTestRuntime();
  target = http.createServer((req, res) => {
    const key = String(req.headers['idempotency-key']);
    calls.set(key, (calls.get(key) ?? 0) + 1);
    req.resume();
    // A little latency, so that steps are in flight when a worker dies.
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'), 20);
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/hook`;
  const url = t.database.url;
  processes.push(
    ...(await Promise.all([
      startWaymark('server', url, env),
      startWaymark('server', url, env),
      startWaymark('worker', url, env),
      startWaymark('worker', url, env),
      startWaymark('worker', url, env),
    ])),
  );
}, 180_000);
afterAll(async () => {
  for (const p of processes) await kill(p);
  await new Promise((resolve) => target?.close(resolve));
  await t?.close();
});

async function scrape(p: WaymarkProcess) {
  const res = await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`);
  return parsePrometheus(await res.text());
}

describe('2 servers and 3 workers on one database, a worker and a server killed mid-load', () => {
  test('every accepted run completes once; repeated calls carry the same Idempotency-Key', async () => {
    const { db } = t.runtime;
    const j = await publish(db, {
      nodes: [
        n('hook', 'core.webhook', { secret: SECRET }),
        n('first', 'http.request', { method: 'POST', url: targetUrl, body: '{"n": 1}' }),
        n('pause', 'core.wait', { duration: 'PT1S' }),
        n('second', 'http.request', { method: 'POST', url: targetUrl, body: '{"n": 2}' }),
      ],
      edges: [e('hook', 'first'), e('first', 'pause', 'ok'), e('pause', 'second')],
    });
    const [server1, server2, worker1] = processes as [WaymarkProcess, WaymarkProcess, WaymarkProcess];
    const accepted: string[] = [];
    let refused = 0;
    const send = async (server: WaymarkProcess, i: number) => {
      const res = await fetch(`http://127.0.0.1:${server.port}/hooks/${j.journeyId}/hook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-waymark-secret': SECRET },
        body: JSON.stringify({ i }),
      }).catch(() => null);
      if (res?.status === 202) accepted.push(((await res.json()) as { runId: string }).runId);
      else refused++;
    };
    const RUNS = 90;
    const live = () =>
      server1.child.exitCode === null && server1.child.signalCode === null ? [server1, server2] : [server2];
    for (let wave = 0; wave < RUNS / 10; wave++) {
      const servers = live();
      await Promise.all(
        Array.from({ length: 10 }, (_, k) => send(servers[k % servers.length] as WaymarkProcess, wave * 10 + k)),
      );
      if (wave === 3) await kill(worker1); // steps in flight on it run again elsewhere
      if (wave === 5) {
        // A server dies with calls in flight: those get no answer, and were never accepted.
        const inFlight = Array.from({ length: 5 }, (_, k) => send(server1, 1000 + k));
        await kill(server1);
        await Promise.all(inFlight);
      }
    }
    // Only the calls in flight to the dying server may go unanswered.
    expect(accepted.length + refused).toBe(RUNS + 5);
    expect(refused).toBeLessThanOrEqual(5);

    // Every run the database holds (accepted, or committed just before its server died) completes.
    await eventually(async () => {
      const open = await db
        .selectFrom('runs')
        .select('id')
        .where('journey_id', '=', j.journeyId)
        .where('status', '!=', 'completed')
        .execute();
      return open.length === 0;
    }, 120_000);
    const runs = await db.selectFrom('runs').select(['id', 'status']).where('journey_id', '=', j.journeyId).execute();
    const ids = new Set(runs.map((r) => r.id));
    for (const id of accepted) expect(ids.has(id), `accepted run ${id}`).toBe(true);

    // Once: each token's transition made one step — one completed step per node per run.
    const steps = await db
      .selectFrom('steps')
      .select(['id', 'run_id', 'node_id', 'status', 'attempts'])
      .where('journey_id', '=', j.journeyId)
      .execute();
    expect(steps).toHaveLength(runs.length * 4);
    expect(new Set(steps.map((s) => `${s.run_id}/${s.node_id}`)).size).toBe(steps.length);
    expect(steps.every((s) => s.status === 'completed')).toBe(true);
    // Each call's key is its step's, and reached the target. A call repeats only when its step
    // was executed again (a new attempt, after the worker holding it died): never twice in one
    // execution, never by two workers at once. (How many repeat depends on how many steps the
    // dead worker's batches held, not on a fixed bound.)
    const callSteps = steps.filter((s) => s.node_id === 'first' || s.node_id === 'second');
    for (const s of callSteps) {
      expect(calls.get(s.id), `calls of step ${s.id}`).toBeGreaterThanOrEqual(1);
      expect(calls.get(s.id), `calls of step ${s.id}`).toBeLessThanOrEqual(s.attempts);
    }
    expect(calls.size).toBe(callSteps.length);
    // Each transition was recorded once: every node entered and completed once per run.
    const { rows: counted } = await sql<{ node_id: string; entered: string; completed: string }>`
      select node_id, sum(entered) as entered, sum(completed) as completed from node_counters
      where journey_id = ${j.journeyId} and output = '' group by node_id order by node_id`.execute(db);
    expect(counted.map((c) => [c.node_id, Number(c.entered), Number(c.completed)])).toEqual(
      ['first', 'hook', 'pause', 'second'].map((node) => [node, runs.length, runs.length]),
    );
  }, 240_000);

  test('the survivors’ metrics add up by role and process', async () => {
    const alive = processes.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
    expect(alive.map((p) => p.role).sort()).toEqual(['server', 'worker', 'worker']);
    const names = new Set<string>();
    let steps = 0;
    for (const p of alive) {
      const families = await scrape(p);
      const sample = families.get('waymark_db_pool_max')?.metrics[0];
      expect(sample?.labels?.role).toBe(p.role);
      names.add(String(sample?.labels?.process));
      if (p.role === 'worker')
        steps += sampleValue(families, 'waymark_steps_total', { node_type: 'http.request', status: 'completed' });
    }
    expect(names.size).toBe(3);
    expect(steps).toBeGreaterThan(0);
  });
});
