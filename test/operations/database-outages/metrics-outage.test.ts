import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { SNAPSHOT_MAX_AGE_MS } from '../../../engine/observability/install-gauges.js';
import { INSTALL_READ_WAIT_MS } from '../../../engine/observability/install-snapshots.js';
import { startMetricsListener } from '../../../server/metrics-listener.js';
import { createTestDatabase } from '../../support/database.js';
import { startDatabaseRelay } from '../../support/database-relay.js';
import { type Family, parsePrometheus, sampleValue, scrapeMetrics } from '../../support/prometheus.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

const METRICS_TOKEN = 'metrics-token-0123456789';
const scrape = (app: TestApp['app']) => scrapeMetrics(app, METRICS_TOKEN);

/** A metrics app whose every connection to PostgreSQL passes a relay the test can break. */
async function appBehindRelay() {
  const database = await createTestDatabase();
  const relay = await startDatabaseRelay(database.url);
  const app = await createTestApp({ METRICS_TOKEN }, { database: { ...database, url: relay.url } });
  return {
    ...app,
    relay,
    async close() {
      // A statement left waiting on a silent relay would hold its pool's end until it timed out.
      relay.set('cut');
      await app.close();
      await relay.close();
      await database.drop();
    },
  };
}

const INSTALL_GAUGES = [
  'waymark_jobs_due',
  'waymark_oldest_due_job_age_seconds',
  'waymark_waits_parked',
  'waymark_messages_backlog',
];
const values = (families: Map<string, Family>, name: string) => families.get(name)?.metrics.map((m) => m.value);

describe('GET /metrics while PostgreSQL cannot be reached', () => {
  let down: Awaited<ReturnType<typeof appBehindRelay>>;
  beforeAll(async () => {
    down = await appBehindRelay();
    // Scraped once while reachable, so the installation gauges have values they could repeat.
    expect(values((await scrape(down.app)).families, 'waymark_jobs_due')).toEqual(['0']);
    const readAt = Date.now();
    down.relay.set('cut');
    await vi.waitFor(() => expect(down.runtime.health.ok).toBe(false), { timeout: 5000 });
    // Past the snapshot's age: no scrape below can be answered from the read before the cut.
    await new Promise((resolve) => setTimeout(resolve, readAt + SNAPSHOT_MAX_AGE_MS - Date.now()));
  });
  afterAll(() => down?.close());

  test('answers 200 in the Prometheus text format with the process’s own metrics', async () => {
    const { res, families } = await scrape(down.app);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    for (const name of ['process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'waymark_step_slots_busy'])
      expect(families.get(name)?.metrics.length, name).toBeGreaterThan(0);
    expect(sampleValue(families, 'waymark_db_pool_max')).toBe(10);
  });

  test('says so with waymark_database_up 0', async () => {
    const { families } = await scrape(down.app);
    expect(values(families, 'waymark_database_up')).toEqual(['0']);
    expect(families.get('waymark_database_up')?.help).toMatch(/PostgreSQL/);
  });

  test('leaves the installation gauges out instead of repeating their last values', async () => {
    const { families } = await scrape(down.app);
    for (const name of INSTALL_GAUGES) expect(values(families, name) ?? [], name).toEqual([]);
  });

  test('a wrong token is still refused with 401 unauthorized', async () => {
    const res = await down.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: 'Bearer wrong-token-0123456789' },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthorized');
  });

  test('the METRICS_PORT listener answers the same: 200, waymark_database_up 0, no installation gauges', async () => {
    const listener = await startMetricsListener(down.runtime.metrics, { host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`http://127.0.0.1:${listener.port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const families = parsePrometheus(await res.text());
      expect(values(families, 'waymark_database_up')).toEqual(['0']);
      expect(values(families, 'waymark_jobs_due') ?? []).toEqual([]);
    } finally {
      await listener.close();
    }
  });

  test('once PostgreSQL is back, waymark_database_up is 1 and the installation gauges return', async () => {
    down.relay.set('open');
    await vi.waitFor(
      async () => {
        const { families } = await scrape(down.app);
        expect(values(families, 'waymark_database_up')).toEqual(['1']);
        expect(values(families, 'waymark_jobs_due')).toEqual(['0']);
        expect(values(families, 'waymark_oldest_due_job_age_seconds')).toEqual(['0']);
      },
      { timeout: 10_000, interval: 200 },
    );
  });
});

describe('GET /metrics while PostgreSQL stops answering', () => {
  let silent: Awaited<ReturnType<typeof appBehindRelay>>;
  beforeAll(async () => {
    silent = await appBehindRelay();
  });
  afterAll(() => silent?.close());

  test('waits for the installation gauges a bounded time, then answers 200 without them', async () => {
    silent.relay.set('silent');
    const since = Date.now();
    const { families } = await scrape(silent.app);
    expect(Date.now() - since).toBeLessThan(INSTALL_READ_WAIT_MS + 1000);
    expect(families.has('process_resident_memory_bytes')).toBe(true);
    for (const name of INSTALL_GAUGES) expect(values(families, name) ?? [], name).toEqual([]);
  });
});
