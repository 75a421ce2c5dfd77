import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { closeSmtpPools } from '../../../nodes/email/src/smtp-pools.js';
import { e, eventually, n } from '../../engine/support.js';
import { api } from '../../failures/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { type RawSmtpServer, startRawSmtpServer } from '../smtp-server.js';

// A journey's sendRate holds its messages like a credential's maxPerSecond (API.md "Send
// rates"): queued in order, never more than `count` handed over in any `perSeconds`; both apply.

const SECRET = 'a-secret-of-16-chars';
let t: TestApp;
let smtp: RawSmtpServer;
let worker: WorkerHandle;

beforeAll(async () => {
  smtp = await startRawSmtpServer();
  t = await createTestApp();
  worker = await startWorker(t.runtime, { pollInterval: 100 });
});
afterAll(async () => {
  await worker.stop();
  closeSmtpPools();
  await t.close();
  await smtp.close();
});

/** A published journey: webhook → email.send through an SMTP credential with `maxPerSecond`. */
async function mailingJourney(sendRate: object, maxPerSecond: number) {
  const credential = await api(t, {
    method: 'POST',
    url: '/api/credentials',
    payload: {
      name: 'smtp',
      type: 'email.smtp',
      data: { host: smtp.host, port: smtp.port, requireTLS: false, maxPerSecond },
    },
  });
  const mail = n('mail', 'email.send', {
    from: 'News <news@example.com>',
    subject: 'Hello',
    html: '<p>Hello</p>',
    category: 'transactional',
    credential: credential.body.id,
  });
  const graph = { nodes: [n('hook', 'core.webhook', { secret: SECRET }), mail], edges: [e('hook', 'mail')] };
  const created = await api(t, {
    method: 'POST',
    url: '/api/journeys',
    payload: { name: 'Rated', graph, settings: { sendRate } },
  });
  await api(t, { method: 'POST', url: `/api/journeys/${created.body.id}/publish` });
  return { journeyId: created.body.id as string, credentialId: credential.body.id as string };
}

async function enterAll(journeyId: string, count: number, prefix: string) {
  for (let i = 0; i < count; i++) {
    const res = await t.app.inject({
      method: 'POST',
      url: `/hooks/${journeyId}/hook`,
      headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
      payload: { email: `${prefix}${i}@example.com` },
    });
    expect(res.statusCode).toBe(202);
  }
}

/** Hand-over times of the journey's messages as the database recorded them, once all are sent. */
async function handOvers(journeyId: string, count: number, column: 'journey_sent_at' | 'rate_sent_at') {
  const rows = await eventually(async () => {
    const sent = await t.runtime.db
      .selectFrom('messages')
      .select(['status', column])
      .where('journey_id', '=', journeyId)
      .where('status', '=', 'sent')
      .execute();
    return sent.length === count ? sent : undefined;
  }, 20_000);
  return rows.map((r) => new Date(r[column] as unknown as Date).getTime()).sort((a, b) => a - b);
}

/** True when no `windowMs` window holds more than `count` of `times` (sorted). */
const withinRate = (times: number[], count: number, windowMs: number) =>
  times.every((at, i) => i + count >= times.length || (times[i + count] as number) >= at + windowMs);

describe("a journey's sendRate", () => {
  test('12 messages at 4 per second all go out, never 5 in a second', async () => {
    const { journeyId } = await mailingJourney({ count: 4, perSeconds: 1 }, 100);
    await enterAll(journeyId, 12, 'journey-rate');
    const times = await handOvers(journeyId, 12, 'journey_sent_at');
    expect(withinRate(times, 4, 1000)).toBe(true);
    expect((times[11] as number) - (times[0] as number)).toBeGreaterThanOrEqual(2000);
  }, 30_000);

  test("the credential's slower rate applies too", async () => {
    const { journeyId } = await mailingJourney({ count: 50, perSeconds: 1 }, 2);
    await enterAll(journeyId, 6, 'both-rates');
    const times = await handOvers(journeyId, 6, 'rate_sent_at');
    expect(withinRate(times, 2, 1000)).toBe(true);
    expect(withinRate(await handOvers(journeyId, 6, 'journey_sent_at'), 50, 1000)).toBe(true);
  }, 30_000);

  test("messages held for the journey's rate are queued in the backlog of the credential sending them", async () => {
    const { journeyId, credentialId } = await mailingJourney({ count: 1, perSeconds: 60 }, 100);
    await enterAll(journeyId, 3, 'journey-backlog');
    const backlog = await eventually(async () => {
      const found = await api(t, { url: `/api/credentials/${credentialId}/backlog` });
      return found.body.queued === 2 ? found.body : undefined;
    });
    expect(backlog).toEqual({ credentialId, maxPerSecond: 100, queued: 2, oldestQueuedAt: expect.any(String) });
  }, 30_000);

  test('a run whose message is held for the rate stays running, its step parked, and ends completed', async () => {
    const { journeyId } = await mailingJourney({ count: 1, perSeconds: 1 }, 100);
    await enterAll(journeyId, 3, 'held-running');
    // A run whose message is queued, read while its step is parked: a message of the three may
    // leave between the two reads (one a second), and its run then completes.
    const run = await eventually(async () => {
      const queued = await t.runtime.db
        .selectFrom('messages')
        .select('run_id')
        .where('journey_id', '=', journeyId)
        .where('status', '=', 'queued')
        .execute();
      for (const { run_id } of queued) {
        const found = await api(t, { url: `/api/runs/${run_id}` });
        const parked = found.body.steps.some(
          (s: { nodeId: string; status: string }) => s.nodeId === 'mail' && s.status === 'waiting',
        );
        if (parked) return found.body;
      }
      return undefined;
    });
    expect(run.status).toBe('running');
    expect(run.steps.map((s: { nodeId: string; status: string }) => [s.nodeId, s.status])).toEqual([
      ['hook', 'completed'],
      ['mail', 'waiting'],
    ]);
    const runs = await api(t, { url: `/api/runs?journeyId=${journeyId}&status=waiting` });
    expect(runs.body.runs).toEqual([]);
    await eventually(async () => {
      const done = await api(t, { url: `/api/runs?journeyId=${journeyId}&status=completed` });
      return done.body.runs.length === 3;
    }, 20_000);
    const stats = await api(t, { url: `/api/journeys/${journeyId}/stats` });
    expect(stats.body.nodes.mail).toMatchObject({ entered: 3, completed: 3, waiting: 0 });
  }, 30_000);
});
