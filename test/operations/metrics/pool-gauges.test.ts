import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SNAPSHOT_MAX_AGE_MS } from '../../../engine/observability/install-gauges.js';
import { sampleValue, scrapeMetrics } from '../../support/prometheus.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

const METRICS_TOKEN = 'metrics-token-0123456789';
// The test runtime's pool size (test/support/runtime.ts).
const POOL_MAX = 10;
let t: TestApp;
const scrape = async () => (await scrapeMetrics(t.app, METRICS_TOKEN)).families;

beforeAll(async () => {
  t = await createTestApp({ METRICS_TOKEN });
});
afterAll(() => t?.close());

describe('waymark_db_pool_waiting: queries waiting for a connection', () => {
  test('is 0 while connections idle, even when the scrape itself reads the installation gauges', async () => {
    // Every connection opened, then idle.
    await Promise.all(Array.from({ length: POOL_MAX }, () => t.runtime.pool.query('select pg_sleep(0.05)')));
    for (let scrapes = 0; scrapes < 2; scrapes++) {
      // Past the installation gauges' age: this scrape reads them from the database.
      await new Promise((resolve) => setTimeout(resolve, SNAPSHOT_MAX_AGE_MS + 100));
      const families = await scrape();
      expect(sampleValue(families, 'waymark_db_pool_connections', { state: 'idle' })).toBeGreaterThan(0);
      expect(sampleValue(families, 'waymark_db_pool_waiting')).toBe(0);
    }
  }, 30_000);

  test('counts the queries that wait while every connection of the pool is busy', async () => {
    // The installation gauges fresh: the next scrape answers them without a query.
    expect(sampleValue(await scrape(), 'waymark_db_pool_max')).toBe(POOL_MAX);
    const held: pg.PoolClient[] = await Promise.all(Array.from({ length: POOL_MAX }, () => t.runtime.pool.connect()));
    const queued = Array.from({ length: 2 }, () => t.runtime.pool.query('select 1'));
    const families = await scrape();
    for (const client of held) client.release();
    await Promise.all(queued);
    expect(sampleValue(families, 'waymark_db_pool_connections', { state: 'busy' })).toBe(POOL_MAX);
    expect(sampleValue(families, 'waymark_db_pool_waiting')).toBe(2);
  });
});
