import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { processIdentity } from '../../../engine/observability/identity.js';
import { startTracing, type Tracing } from '../../../engine/observability/tracing.js';
import { eventually, publish } from '../../engine/support.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { type DatabaseRelay, startDatabaseRelay } from '../../support/database-relay.js';
import { stubEnvironment } from '../../support/environment.js';
import { sampleValue, scrapeMetrics } from '../../support/prometheus.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { startCollector } from '../support/otlp-collector.js';
import { callHook, hookAndTwoSteps } from '../support/traced-app.js';

const METRICS_TOKEN = 'metrics-token-0123456789';
let collector: Awaited<ReturnType<typeof startCollector>>;
let tracing: Tracing | null;
let database: TestDatabase;
let relay: DatabaseRelay;
let t: TestApp;

// A traced app whose every connection to PostgreSQL passes a relay the test breaks.
beforeAll(async () => {
  collector = await startCollector();
  stubEnvironment({
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '50',
  });
  tracing = await startTracing(processIdentity('all'), '0.1.0');
  database = await createTestDatabase();
  relay = await startDatabaseRelay(database.url);
  t = await createTestApp({ METRICS_TOKEN }, { database: { ...database, url: relay.url } });
});
afterAll(async () => {
  relay?.set('cut');
  await t?.close();
  await relay?.close();
  await database?.drop();
  await tracing?.shutdown();
  await collector?.close();
  vi.unstubAllEnvs();
});

describe('POST /hooks while PostgreSQL cannot be reached', () => {
  test('each call answered 503 is counted in waymark_webhooks_total and its waymark.webhook span is exported', async () => {
    const { journeyId } = await publish(database.db, hookAndTwoSteps());
    relay.set('cut');
    // One call before the health watch noticed (its lookups fail), two after (refused at once).
    expect((await callHook(t, journeyId, { i: 0 })).statusCode).toBe(503);
    await eventually(async () => !t.runtime.health.ok);
    for (let i = 1; i < 3; i++) expect((await callHook(t, journeyId, { i })).statusCode).toBe(503);

    const { families } = await scrapeMetrics(t.app, METRICS_TOKEN);
    // Whether the journey exists cannot be read: the call is counted under `unknown`.
    expect(sampleValue(families, 'waymark_webhooks_total', { journey: 'unknown', status: '503' })).toBe(3);
    const spans = await eventually(async () => {
      await tracing?.flush();
      const mine = collector.spans.filter(
        (s) => s.name === 'waymark.webhook' && s.attributes['waymark.journey.id'] === journeyId,
      );
      return mine.length === 3 && mine;
    });
    for (const span of spans) {
      expect(span.attributes['http.response.status_code']).toBe(503);
      expect(span.status.code).toBe(2); // ERROR
    }
  });
});
