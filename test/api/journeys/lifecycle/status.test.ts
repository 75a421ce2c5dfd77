import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestApp } from '../../../support/runtime.js';
import { createJourney, journeysApp, UNKNOWN_ID } from '../support.js';

let t: TestApp;
beforeAll(async () => {
  t = await journeysApp();
});
afterAll(() => t?.close());

const call = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: t.auth, ...(payload ? { payload } : {}) });

async function publishedJourney(): Promise<string> {
  const id = await createJourney(t);
  expect((await call('POST', `/api/journeys/${id}/publish`)).statusCode).toBe(201);
  return id;
}

describe('POST /api/journeys/:id/pause and /resume', () => {
  test('pauses a live journey and resumes it', async () => {
    const id = await publishedJourney();
    const paused = await call('POST', `/api/journeys/${id}/pause`);
    expect(paused.statusCode).toBe(200);
    expect(paused.json()).toMatchObject({ id, status: 'paused', publishedVersion: 1 });
    const resumed = await call('POST', `/api/journeys/${id}/resume`);
    expect(resumed.json()).toMatchObject({ id, status: 'live' });
  });

  test('pausing twice is harmless', async () => {
    const id = await publishedJourney();
    await call('POST', `/api/journeys/${id}/pause`);
    const again = await call('POST', `/api/journeys/${id}/pause`);
    expect(again.statusCode).toBe(200);
    expect(again.json().status).toBe('paused');
  });

  test('a paused journey stays paused when a new version is published', async () => {
    const id = await publishedJourney();
    await call('POST', `/api/journeys/${id}/pause`);
    await call('POST', `/api/journeys/${id}/publish`);
    expect((await call('GET', `/api/journeys/${id}`)).json()).toMatchObject({ status: 'paused', publishedVersion: 2 });
  });

  test('refuses with 409 conflict to pause a journey never published', async () => {
    const id = await createJourney(t);
    const res = await call('POST', `/api/journeys/${id}/pause`);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('conflict');
  });

  test('answers 404 for an unknown id', async () => {
    expect((await call('POST', `/api/journeys/${UNKNOWN_ID}/resume`)).statusCode).toBe(404);
  });
});

describe('a paused journey’s core.event trigger', () => {
  const at = { x: 0, y: 0 };
  async function onEvent(event: string): Promise<string> {
    const graph = {
      nodes: [
        { id: 'on', type: 'core.event', version: 1, params: { event }, position: at },
        { id: 'end', type: 'core.exit', version: 1, params: {}, position: at },
      ],
      edges: [{ id: 'e1', source: 'on', sourceHandle: 'out', target: 'end' }],
    };
    const id = await createJourney(t, { name: event, graph });
    expect((await call('POST', `/api/journeys/${id}/publish`)).statusCode).toBe(201);
    return id;
  }
  const record = (name: string) => call('POST', '/api/events', { email: `${name}@example.com`, name });
  const runsOf = async (id: string) => (await call('GET', `/api/runs?journeyId=${id}`)).json().runs;

  test('starts nothing while paused, and never replays what it refused once resumed', async () => {
    const id = await onEvent('paused-signup');
    await call('POST', `/api/journeys/${id}/pause`);
    expect((await record('paused-signup')).statusCode).toBe(202);
    expect(await runsOf(id)).toEqual([]);
    await call('POST', `/api/journeys/${id}/resume`);
    expect(await runsOf(id)).toEqual([]);
    expect((await record('paused-signup')).statusCode).toBe(202);
    expect(await runsOf(id)).toHaveLength(1);
  });

  test('starts nothing once the journey is archived', async () => {
    const id = await onEvent('archived-signup');
    await call('DELETE', `/api/journeys/${id}`);
    expect((await record('archived-signup')).statusCode).toBe(202);
    expect(await runsOf(id)).toEqual([]);
  });
});

describe('DELETE /api/journeys/:id', () => {
  test('archives: the journey leaves the list but stays readable by id', async () => {
    const id = await publishedJourney();
    const res = await call('DELETE', `/api/journeys/${id}`);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    const list = (await call('GET', '/api/journeys')).json().journeys;
    expect(list.map((j: { id: string }) => j.id)).not.toContain(id);
    const journey = (await call('GET', `/api/journeys/${id}`)).json();
    expect(journey).toMatchObject({ status: 'archived', archivedAt: expect.stringMatching(/Z$/) });
    expect((await call('GET', `/api/journeys/${id}/versions/1`)).statusCode).toBe(200);
  });

  test('ends the journey’s running and waiting runs as exited, and leaves ended ones alone', async () => {
    const id = await publishedJourney();
    const other = await publishedJourney();
    const { db } = t.runtime;
    const run = (journeyId: string, status: 'running' | 'waiting' | 'completed') =>
      db
        .insertInto('runs')
        .values({ journey_id: journeyId, version: 1, status, trigger: '{}', trigger_node_id: 'start' } as never)
        .returning('id')
        .executeTakeFirstOrThrow();
    const [running, waiting, done, elsewhere] = await Promise.all([
      run(id, 'running'),
      run(id, 'waiting'),
      run(id, 'completed'),
      run(other, 'waiting'),
    ]);
    await call('DELETE', `/api/journeys/${id}`);
    const rows = await sql<{ id: string; status: string; ended: boolean }>`
      select id, status, ended_at is not null as ended from runs
      where id in (${running.id}, ${waiting.id}, ${done.id}, ${elsewhere.id})
    `.execute(db);
    const status = Object.fromEntries(rows.rows.map((r) => [r.id, r.status]));
    expect(status).toEqual({
      [running.id]: 'exited',
      [waiting.id]: 'exited',
      [done.id]: 'completed',
      [elsewhere.id]: 'waiting',
    });
  });

  test('an archived journey can no longer be changed', async () => {
    const id = await publishedJourney();
    await call('DELETE', `/api/journeys/${id}`);
    for (const [method, url, body] of [
      ['PATCH', `/api/journeys/${id}`, { name: 'x' }],
      ['POST', `/api/journeys/${id}/publish`, undefined],
      ['POST', `/api/journeys/${id}/resume`, undefined],
    ] as const) {
      const res = await call(method, url, body);
      expect(res.statusCode, `${method} ${url}`).toBe(409);
      expect(res.json().error.code).toBe('conflict');
    }
  });

  test('archiving twice is harmless', async () => {
    const id = await createJourney(t);
    await call('DELETE', `/api/journeys/${id}`);
    expect((await call('DELETE', `/api/journeys/${id}`)).statusCode).toBe(204);
  });

  test('answers 404 for an unknown id', async () => {
    expect((await call('DELETE', `/api/journeys/${UNKNOWN_ID}`)).statusCode).toBe(404);
  });
});

describe('GET /api/journeys/:id/stats', () => {
  test('lists every node of the published version, with zeros before any run', async () => {
    const id = await publishedJourney();
    const res = await call('GET', `/api/journeys/${id}/stats`);
    expect(res.statusCode).toBe(200);
    const zero = { entered: 0, completed: 0, failed: 0, waiting: 0 };
    expect(res.json()).toEqual({
      nodes: { start: zero, step: zero },
      outputs: {},
      entries: { entered: 0, queued: 0, skipped: { 'entry-cap': 0, reentry: 0 } },
    });
  });

  test('answers 404 for a version never published', async () => {
    const id = await publishedJourney();
    expect((await call('GET', `/api/journeys/${id}/stats?version=5`)).statusCode).toBe(404);
  });

  test('answers 400 for a version that is not a number', async () => {
    const id = await publishedJourney();
    expect((await call('GET', `/api/journeys/${id}/stats?version=new`)).statusCode).toBe(400);
  });

  test('answers 404 for an unknown id', async () => {
    expect((await call('GET', `/api/journeys/${UNKNOWN_ID}/stats`)).statusCode).toBe(404);
  });
});

describe('GET /api/journeys?status=', () => {
  const idsIn = async (status: string) =>
    (await call('GET', `/api/journeys?status=${status}`)).json().journeys.map((j: { id: string }) => j.id);

  test('lists only the journeys in that status', async () => {
    const draft = await createJourney(t);
    const live = await publishedJourney();
    const paused = await publishedJourney();
    await call('POST', `/api/journeys/${paused}/pause`);
    const lives = await idsIn('live');
    expect(lives).toContain(live);
    expect(lives).not.toContain(draft);
    expect(lives).not.toContain(paused);
    expect(await idsIn('paused')).toEqual(expect.arrayContaining([paused]));
    expect(await idsIn('draft')).toEqual(expect.arrayContaining([draft]));
    expect(await idsIn('draft')).not.toContain(live);
  });

  test('lists archived journeys when asked for them by status', async () => {
    const id = await publishedJourney();
    await call('DELETE', `/api/journeys/${id}`);
    expect(await idsIn('archived')).toContain(id);
  });

  test('a status that is none answers 400 naming the allowed values', async () => {
    const res = await call('GET', '/api/journeys?status=published');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      error: {
        code: 'validation_failed',
        details: [{ path: '/status', message: expect.stringMatching(/draft.*live.*paused/) }],
      },
    });
  });
});
