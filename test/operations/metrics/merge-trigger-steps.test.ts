import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { e, n, publish } from '../../engine/support.js';
import { completedSteps } from '../../support/prometheus.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// API.md "Metrics": a run's trigger step counts once as `completed` in waymark_steps_total, in
// the process that started the run, also when the event that started it came from a merge.
const METRICS_TOKEN = 'metrics-token-0123456789';
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ METRICS_TOKEN });
});
afterAll(async () => {
  await t?.close();
});

const call = (url: string, payload: object) => t.app.inject({ method: 'POST', url, headers: t.auth, payload });

const eventTriggerSteps = () => completedSteps(t.app, METRICS_TOKEN, 'core.event');

/** Two contacts and a live journey entered by `event`. */
async function pairAndJourney(prefix: string, event: string) {
  await publish(t.runtime.db, { nodes: [n('t', 'core.event', { event }), n('x', 'core.exit')], edges: [e('t', 'x')] });
  const [keep, drop] = await Promise.all(
    ['keep', 'drop'].map(
      async (who) => (await call('/api/contacts', { email: `${prefix}-${who}@example.com` })).json().id,
    ),
  );
  return { keep: keep as string, drop: drop as string };
}

describe('waymark_steps_total of runs a merge starts', () => {
  test('a contact.merged run counts its trigger step once as completed', async () => {
    const { keep, drop } = await pairAndJourney('merged', 'contact.merged');
    const before = await eventTriggerSteps();
    expect((await call(`/api/contacts/${keep}/merge`, { from: drop })).statusCode).toBe(200);
    expect((await eventTriggerSteps()) - before).toBe(1);
  });

  test('a contact.unmerged run counts its trigger step once as completed', async () => {
    const { keep, drop } = await pairAndJourney('unmerged', 'contact.unmerged');
    expect((await call(`/api/contacts/${keep}/merge`, { from: drop })).statusCode).toBe(200);
    const before = await eventTriggerSteps();
    expect((await call(`/api/contacts/${keep}/unmerge`, { from: drop })).statusCode).toBe(200);
    expect((await eventTriggerSteps()) - before).toBe(1);
  });
});
