import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestApp } from '../../../support/runtime.js';
import { createJourney, journeysApp, UNKNOWN_ID, validGraph } from '../support.js';

let t: TestApp;
beforeAll(async () => {
  t = await journeysApp();
});
afterAll(() => t?.close());

const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: t.auth, ...(payload ? { payload } : {}) });

describe('POST /api/journeys/:id/publish', () => {
  test('freezes the draft as version 1 and makes the journey live', async () => {
    const id = await createJourney(t);
    const res = await call('POST', `/api/journeys/${id}/publish`);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ version: 1 });
    const journey = (await call('GET', `/api/journeys/${id}`)).json();
    expect(journey).toMatchObject({ status: 'live', publishedVersion: 1, versions: [{ version: 1 }] });
  });

  test('numbers the next publish 2', async () => {
    const id = await createJourney(t);
    await call('POST', `/api/journeys/${id}/publish`);
    const res = await call('POST', `/api/journeys/${id}/publish`);
    expect(res.json()).toEqual({ version: 2 });
  });

  test('gives each of many concurrent publishes its own number', async () => {
    const id = await createJourney(t);
    const answers = await Promise.all(Array.from({ length: 6 }, () => call('POST', `/api/journeys/${id}/publish`)));
    expect(answers.map((r) => r.statusCode)).toEqual(Array(6).fill(201));
    expect(answers.map((r) => r.json().version).sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('refuses an invalid draft with 422 invalid_graph and every problem', async () => {
    const graph = validGraph('Hi {{ oops');
    graph.nodes.push({ id: 'lost', type: 'fixture.step', version: 1, params: { text: 'x' }, position: { x: 0, y: 0 } });
    const id = await createJourney(t, { name: 'Bad', graph });
    const res = await call('POST', `/api/journeys/${id}/publish`);
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toEqual({
      code: 'invalid_graph',
      message: 'the draft has 2 problems',
      details: [
        { nodeId: 'step', path: '/text', message: expect.stringMatching(/not a valid template/) },
        { nodeId: 'lost', message: 'node lost cannot be reached from any trigger' },
      ],
    });
    expect((await call('GET', `/api/journeys/${id}`)).json()).toMatchObject({ status: 'draft', versions: [] });
  });

  test.each([
    ['crm.tag', 'tag'],
    ['crm.list', 'list'],
  ])('refuses a %s whose %s is blank with 422 naming the param', async (type, param) => {
    const graph = validGraph();
    graph.nodes[1] = {
      id: 'step',
      type,
      version: 1,
      params: { action: 'add', [param]: '  ' },
      position: { x: 0, y: 100 },
    };
    const id = await createJourney(t, { name: `Blank ${param}`, graph });
    const res = await call('POST', `/api/journeys/${id}/publish`);
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details).toEqual([
      { nodeId: 'step', path: `/${param}`, message: `/${param} must not be blank` },
    ]);
  });

  test('refuses an empty draft', async () => {
    const id = await createJourney(t, { name: 'Empty' });
    const res = await call('POST', `/api/journeys/${id}/publish`);
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details).toEqual([{ message: 'the journey needs at least one trigger node' }]);
  });

  test('answers 404 for an unknown id', async () => {
    expect((await call('POST', `/api/journeys/${UNKNOWN_ID}/publish`)).statusCode).toBe(404);
  });

  test('tells other processes on waymark_journeys once committed', async () => {
    const id = await createJourney(t);
    const listener = new pg.Client({ connectionString: t.database.url });
    await listener.connect();
    try {
      const heard = new Promise<string>((resolve) => listener.on('notification', (n) => resolve(n.payload ?? '')));
      await listener.query('listen waymark_journeys');
      await call('POST', `/api/journeys/${id}/publish`);
      expect(JSON.parse(await heard)).toEqual({ journeyId: id });
    } finally {
      await listener.end();
    }
  });
});

describe('publishing with credentials', () => {
  async function journeyUsing(account: string) {
    const graph = validGraph();
    graph.nodes[1]!.params = { text: 'x', account };
    return createJourney(t, { name: 'With credential', graph });
  }
  const storeCredential = async (type: string) =>
    (
      await t.runtime.db
        .insertInto('credentials')
        .values({
          workspace_id: sql`(select id from workspaces where is_default)`,
          name: 'c',
          type,
          data_encrypted: 'not-read-here',
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;

  test('refuses a credential that does not exist', async () => {
    const id = await journeyUsing(UNKNOWN_ID);
    const res = await call('POST', `/api/journeys/${id}/publish`);
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details).toEqual([
      { nodeId: 'step', path: '/account', message: `/account names credential ${UNKNOWN_ID}, which does not exist` },
    ]);
  });

  test('refuses a credential of another type', async () => {
    const id = await journeyUsing(await storeCredential('other.key'));
    const res = await call('POST', `/api/journeys/${id}/publish`);
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details[0].message).toBe(
      '/account names a credential of type other.key, where type fixture.key is needed',
    );
  });

  test('accepts a stored credential of the right type', async () => {
    const id = await journeyUsing(await storeCredential('fixture.key'));
    expect((await call('POST', `/api/journeys/${id}/publish`)).statusCode).toBe(201);
  });
});

describe('GET /api/journeys/:id/versions/:version', () => {
  test('answers the version as published, whatever the draft became since', async () => {
    const id = await createJourney(t);
    await call('POST', `/api/journeys/${id}/publish`);
    await call('PUT', `/api/journeys/${id}/draft`, { graph: validGraph('Changed'), settings: { reentry: 'once' } });
    const res = await call('GET', `/api/journeys/${id}/versions/1`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      version: 1,
      graph: validGraph(),
      settings: { reentry: 'always', exitOn: [], goal: null },
      // The installed package versions the version runs on: none, its nodes are all built in or loaded.
      packages: {},
      publishedAt: expect.stringMatching(/Z$/),
    });
  });

  test('answers 404 for a version never published', async () => {
    const id = await createJourney(t);
    const res = await call('GET', `/api/journeys/${id}/versions/3`);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toBe(`journey ${id} has no version 3`);
  });

  test('answers 400 for a version that is not a number', async () => {
    const id = await createJourney(t);
    const res = await call('GET', `/api/journeys/${id}/versions/latest`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toBe('/version');
  });
});

describe('GET /api/journeys/:id/diff', () => {
  test('compares a version with the draft', async () => {
    const id = await createJourney(t);
    await call('POST', `/api/journeys/${id}/publish`);
    const graph = validGraph('Changed');
    graph.nodes.push({ id: 'more', type: 'fixture.step', version: 1, params: { text: 'x' }, position: { x: 0, y: 0 } });
    graph.edges.push({ id: 'e2', source: 'step', sourceHandle: 'out', target: 'more' });
    await call('PUT', `/api/journeys/${id}/draft`, { graph });
    const res = await call('GET', `/api/journeys/${id}/diff?from=1&to=draft`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      nodes: { added: ['more'], removed: [], changed: [{ id: 'step', paths: ['/params/text'] }] },
      edges: { added: ['e2'], removed: [] },
    });
  });

  test('compares two versions', async () => {
    const id = await createJourney(t);
    await call('POST', `/api/journeys/${id}/publish`);
    const graph = validGraph();
    graph.nodes[1]!.position = { x: 50, y: 100 };
    await call('PUT', `/api/journeys/${id}/draft`, { graph });
    await call('POST', `/api/journeys/${id}/publish`);
    const res = await call('GET', `/api/journeys/${id}/diff?from=1&to=2`);
    expect(res.json().nodes.changed).toEqual([{ id: 'step', paths: ['/position/x'] }]);
  });

  test('answers 404 for a version never published', async () => {
    const id = await createJourney(t);
    expect((await call('GET', `/api/journeys/${id}/diff?from=7&to=draft`)).statusCode).toBe(404);
  });

  test('needs a from that is a version or "draft"', async () => {
    const id = await createJourney(t);
    for (const url of [`/api/journeys/${id}/diff`, `/api/journeys/${id}/diff?from=one`]) {
      const res = await call('GET', url);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details[0].path).toBe('/from');
    }
  });
});
