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

const BROADCAST = 300;
/** Steps of both journeys that called the target, as the checks below counted them. */
let stepsCalling = 0;

async function runsOf(journeyId: string) {
  return t.runtime.db.selectFrom('runs').select(['id', 'contact_id']).where('journey_id', '=', journeyId).execute();
}

/**
 * Once: each token's transition made one step (one completed step per node per run), each
 * transition was counted once, and each call's key is its step's. A call repeats only when its
 * step was executed again (a new attempt, after the worker holding it died): never twice in one
 * execution, never by two workers at once. (How many repeat depends on how many steps the dead
 * worker's batches held, not on a fixed bound.)
 */
async function expectEachTransitionOnce(journeyId: string, nodes: string[], runs: number, calling: string[]) {
  const { db } = t.runtime;
  const steps = await db
    .selectFrom('steps')
    .select(['id', 'run_id', 'node_id', 'status', 'attempts'])
    .where('journey_id', '=', journeyId)
    .execute();
  expect(steps).toHaveLength(runs * nodes.length);
  expect(new Set(steps.map((s) => `${s.run_id}/${s.node_id}`)).size).toBe(steps.length);
  expect(steps.every((s) => s.status === 'completed')).toBe(true);
  const callSteps = steps.filter((s) => calling.includes(s.node_id));
  for (const s of callSteps) {
    expect(calls.get(s.id), `calls of step ${s.id}`).toBeGreaterThanOrEqual(1);
    expect(calls.get(s.id), `calls of step ${s.id}`).toBeLessThanOrEqual(s.attempts);
  }
  stepsCalling += callSteps.length;
  const { rows: counted } = await sql<{ node_id: string; entered: string; completed: string }>`
    select node_id, sum(entered) as entered, sum(completed) as completed from node_counters
    where journey_id = ${journeyId} and output = '' group by node_id order by node_id`.execute(db);
  expect(counted.map((c) => [c.node_id, Number(c.entered), Number(c.completed)])).toEqual(
    nodes.map((node) => [node, runs, runs]),
  );
}

async function scrape(p: WaymarkProcess) {
  const res = await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`);
  return parsePrometheus(await res.text());
}

describe('2 servers and 3 workers on one database, a worker and a server killed mid-load', () => {
  test('every accepted webhook run and every broadcast run completes once; repeated calls carry the same Idempotency-Key', async () => {
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
    // A broadcast under way at the same time: a schedule tick enters every contact once.
    await sql`insert into contacts (workspace_id, email, attributes)
      select (select id from workspaces where is_default), 'fan' || i || '@example.org', '{"fan": true}'
      from generate_series(1, ${BROADCAST}) i`.execute(db);
    const broadcast = await publish(
      db,
      {
        nodes: [
          n('tick', 'core.schedule', {
            cron: '* * * * * *',
            timezone: 'UTC',
            filter: { attr: 'fan', op: 'eq', value: true },
          }),
          n('call', 'http.request', { method: 'POST', url: targetUrl, body: '{"fan": true}' }),
          n('done', 'core.exit'),
        ],
        edges: [e('tick', 'call'), e('call', 'done', 'ok')],
      },
      { reentry: 'once' },
    );
    await eventually(async () => (await runsOf(broadcast.journeyId)).length > 0, 30_000);
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

    // Every run the database holds (accepted, or committed just before its server died) completes,
    // and so does every contact's broadcast run.
    await eventually(async () => {
      const open = await db
        .selectFrom('runs')
        .select('id')
        .where('journey_id', 'in', [j.journeyId, broadcast.journeyId])
        .where('status', '!=', 'completed')
        .execute();
      return open.length === 0 && (await runsOf(broadcast.journeyId)).length === BROADCAST;
    }, 120_000);
    const runs = await runsOf(j.journeyId);
    const ids = new Set(runs.map((r) => r.id));
    for (const id of accepted) expect(ids.has(id), `accepted run ${id}`).toBe(true);
    const fans = await runsOf(broadcast.journeyId);
    expect(new Set(fans.map((r) => r.contact_id)).size).toBe(BROADCAST);
    await expectEachTransitionOnce(broadcast.journeyId, ['call', 'done', 'tick'], fans.length, ['call']);

    await expectEachTransitionOnce(j.journeyId, ['first', 'hook', 'pause', 'second'], runs.length, ['first', 'second']);
    // Every call the target received was one of those steps'.
    expect(calls.size).toBe(stepsCalling);
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
