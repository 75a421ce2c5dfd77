import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestApp } from '../../../support/runtime.js';
import { createJourney, journeysApp, UNKNOWN_ID, validGraph } from '../support.js';

let t: TestApp;
beforeAll(async () => {
  t = await journeysApp();
});
afterAll(() => t?.close());

const call = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: t.auth, ...(payload ? { payload } : {}) });

describe('POST /api/journeys', () => {
  test('creates a draft journey with an empty graph and default settings', async () => {
    const res = await call('POST', '/api/journeys', { name: 'Onboarding' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Onboarding',
      status: 'draft',
      publishedVersion: null,
      draft: { graph: { nodes: [], edges: [] }, settings: { reentry: 'always', exitOn: [] } },
      versions: [],
    });
  });

  test('keeps the graph as given, editor fields included, and fills missing settings', async () => {
    const graph = validGraph();
    const drawn = { ...graph, nodes: graph.nodes.map((n) => ({ ...n, selected: true, data: { label: n.id } })) };
    const res = await call('POST', '/api/journeys', { name: 'Drawn', graph: drawn, settings: { reentry: 'once' } });
    expect(res.statusCode).toBe(201);
    expect(res.json().draft).toEqual({ graph: drawn, settings: { reentry: 'once', exitOn: [], goal: null } });
  });

  test('needs a name', async () => {
    const res = await call('POST', '/api/journeys', {});
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'validation_failed', details: [{ path: '/name' }] });
  });

  test('refuses a name that is not a string', async () => {
    const res = await call('POST', '/api/journeys', { name: { first: 'x' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toBe('/name');
  });

  test('refuses a graph that is not shaped as a graph', async () => {
    const res = await call('POST', '/api/journeys', { name: 'x', graph: { nodes: 'many' } });
    expect(res.statusCode).toBe(400);
    const paths: string[] = res.json().error.details.map((d: { path: string }) => d.path);
    expect(paths).toContain('/graph/edges');
    expect(paths.some((p) => p.startsWith('/graph/nodes'))).toBe(true);
  });

  test('refuses an unknown re-entry rule', async () => {
    const res = await call('POST', '/api/journeys', { name: 'x', settings: { reentry: 'sometimes' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toBe('/settings/reentry');
  });

  test('refuses a rate-limit window that is not a duration', async () => {
    const res = await call('POST', '/api/journeys', {
      name: 'x',
      settings: { webhookRateLimit: { max: 10, window: 'soon' } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toBe('/settings/webhookRateLimit/window');
  });

  test('refuses a rate-limit max past what a counter holds, naming it', async () => {
    const res = await call('POST', '/api/journeys', {
      name: 'x',
      settings: { webhookRateLimit: { max: 2_147_483_648, window: 'PT1M' } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: '/settings/webhookRateLimit/max', message: 'body/settings/webhookRateLimit/max must be <= 2147483647' },
    ]);
  });

  describe('names the window with every field the schema refuses, in one answer', () => {
    const paths = (res: { json(): { error: { details: { path: string }[] } } }) =>
      res.json().error.details.map((d) => d.path);
    const window = '/settings/webhookRateLimit/window';

    test('beside the rate limit’s own max', async () => {
      const res = await call('POST', '/api/journeys', {
        name: 'x',
        settings: { webhookRateLimit: { max: 'a', window: 'xx' } },
      });
      expect(res.statusCode).toBe(400);
      expect(paths(res)).toEqual(['/settings/webhookRateLimit/max', window]);
    });

    test('beside the name', async () => {
      const res = await call('POST', '/api/journeys', {
        name: 5,
        settings: { webhookRateLimit: { max: 1, window: 'xx' } },
      });
      expect(paths(res)).toEqual(['/name', window]);
    });

    test('beside another setting of a draft', async () => {
      const id = (await call('POST', '/api/journeys', { name: 'Draft checks' })).json().id;
      const res = await call('PUT', `/api/journeys/${id}/draft`, {
        graph: { nodes: [], edges: [] },
        settings: { reentry: 'x', webhookRateLimit: { max: 1, window: 'xx' } },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
      expect(paths(res)).toEqual(['/settings/reentry', window]);
    });

    test('but a field the schema named is not named twice', async () => {
      const res = await call(
        'PATCH',
        `/api/journeys/${(await call('POST', '/api/journeys', { name: 'Once' })).json().id}`,
        {
          settings: { webhookRateLimit: { max: 1, window: 'x' } },
        },
      );
      expect(paths(res)).toEqual([window]);
    });
  });

  test('answers invalid_json to a body that is not JSON', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: { ...t.auth, 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_json');
  });

  test('needs a token', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/journeys', payload: { name: 'x' } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthorized');
  });
});

describe('GET /api/journeys', () => {
  test('lists journeys with status, published version, tags and last change', async () => {
    const id = await createJourney(t, { name: 'Listed' });
    const res = await call('GET', '/api/journeys');
    expect(res.statusCode).toBe(200);
    const listed = res.json().journeys.find((j: { id: string }) => j.id === id);
    expect(listed).toEqual({
      id,
      name: 'Listed',
      status: 'draft',
      publishedVersion: null,
      tags: [],
      updatedAt: expect.stringMatching(/Z$/),
    });
  });
});

describe('GET /api/journeys/:id', () => {
  test('answers the journey with its draft and versions', async () => {
    const id = await createJourney(t);
    const res = await call('GET', `/api/journeys/${id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, name: 'Welcome', draft: { graph: validGraph() }, versions: [] });
  });

  test('answers 404 not_found for an unknown id', async () => {
    const res = await call('GET', `/api/journeys/${UNKNOWN_ID}`);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
  });

  test('answers 400 validation_failed for an id that is not a UUID', async () => {
    const res = await call('GET', '/api/journeys/not-a-uuid');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'validation_failed', details: [{ path: '/id' }] });
  });
});

describe('PATCH /api/journeys/:id', () => {
  test('renames a journey', async () => {
    const id = await createJourney(t);
    const res = await call('PATCH', `/api/journeys/${id}`, { name: 'Renamed' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, name: 'Renamed', draft: { graph: validGraph() } });
  });

  test('merges settings key by key', async () => {
    const id = await createJourney(t, { name: 'S', settings: { reentry: 'once' } });
    const res = await call('PATCH', `/api/journeys/${id}`, { settings: { exitOn: ['purchase'] } });
    expect(res.json().draft.settings).toEqual({ reentry: 'once', exitOn: ['purchase'], goal: null });
  });

  test('removes the webhook rate limit given webhookRateLimit null, as goal null removes the goal', async () => {
    const id = await createJourney(t, { name: 'Limited', settings: { webhookRateLimit: { max: 1, window: 'PT1H' } } });
    const res = await call('PATCH', `/api/journeys/${id}`, { settings: { webhookRateLimit: null } });
    expect(res.statusCode).toBe(200);
    expect(res.json().draft.settings).toEqual({ reentry: 'always', exitOn: [], goal: null });
    expect((await call('GET', `/api/journeys/${id}`)).json().draft.settings).not.toHaveProperty('webhookRateLimit');
  });

  test('refuses an empty name, naming it once', async () => {
    const id = await createJourney(t);
    const res = await call('PATCH', `/api/journeys/${id}`, { name: '' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([{ path: '/name', message: 'body/name must not be blank' }]);
  });

  test('answers 404 for an unknown id', async () => {
    expect((await call('PATCH', `/api/journeys/${UNKNOWN_ID}`, { name: 'x' })).statusCode).toBe(404);
  });
});

describe('PUT /api/journeys/:id/draft', () => {
  test('saves an invalid draft as it is', async () => {
    const id = await createJourney(t);
    const graph = validGraph();
    graph.edges.push({ id: 'e2', source: 'step', sourceHandle: 'nowhere', target: 'ghost' });
    const res = await call('PUT', `/api/journeys/${id}/draft`, { graph });
    expect(res.statusCode).toBe(200);
    expect(res.json().draft.graph).toEqual(graph);
    expect((await call('GET', `/api/journeys/${id}`)).json().draft.graph).toEqual(graph);
  });

  test('replaces the settings when given', async () => {
    const id = await createJourney(t, { name: 'S', settings: { reentry: 'once', exitOn: ['a'] } });
    const res = await call('PUT', `/api/journeys/${id}/draft`, { graph: validGraph(), settings: { exitOn: ['b'] } });
    expect(res.json().draft.settings).toEqual({ reentry: 'always', exitOn: ['b'], goal: null });
  });

  test('refuses a body that is not a graph, naming the bad fields', async () => {
    const id = await createJourney(t);
    const res = await call('PUT', `/api/journeys/${id}/draft`, {
      graph: { nodes: [{ id: 'n1', type: 'fixture.start' }], edges: [{ id: 'e1' }] },
    });
    expect(res.statusCode).toBe(400);
    const paths = res.json().error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(
      expect.arrayContaining(['/graph/nodes/0/version', '/graph/edges/0/source', '/graph/edges/0/target']),
    );
  });

  test('needs a graph', async () => {
    const id = await createJourney(t);
    const res = await call('PUT', `/api/journeys/${id}/draft`, { settings: {} });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toBe('/graph');
  });

  test('answers 404 for an unknown id', async () => {
    expect((await call('PUT', `/api/journeys/${UNKNOWN_ID}/draft`, { graph: validGraph() })).statusCode).toBe(404);
  });
});

describe('POST /api/journeys/:id/validate', () => {
  test('says valid for a publishable draft', async () => {
    const id = await createJourney(t);
    const res = await call('POST', `/api/journeys/${id}/validate`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ valid: true });
  });

  test('lists every problem of an invalid draft', async () => {
    const id = await createJourney(t, { name: 'Bad', graph: validGraph('Hi {{ oops') });
    const res = await call('POST', `/api/journeys/${id}/validate`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      valid: false,
      errors: [{ nodeId: 'step', path: '/text', message: expect.stringMatching(/not a valid template/) }],
    });
  });

  test('accepts an empty JSON body', async () => {
    const id = await createJourney(t);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/journeys/${id}/validate`,
      headers: { ...t.auth, 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(200);
  });

  test('answers 404 for an unknown id', async () => {
    expect((await call('POST', `/api/journeys/${UNKNOWN_ID}/validate`)).statusCode).toBe(404);
  });
});

describe('OpenAPI', () => {
  test('documents every journey and catalogue route with its answers, errors included', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const routes: [string, string][] = [
      ['/api/journeys', 'post'],
      ['/api/journeys', 'get'],
      ['/api/journeys/{id}', 'get'],
      ['/api/journeys/{id}', 'patch'],
      ['/api/journeys/{id}', 'delete'],
      ['/api/journeys/{id}/draft', 'put'],
      ['/api/journeys/{id}/validate', 'post'],
      ['/api/journeys/{id}/publish', 'post'],
      ['/api/journeys/{id}/versions/{version}', 'get'],
      ['/api/journeys/{id}/diff', 'get'],
      ['/api/journeys/{id}/pause', 'post'],
      ['/api/journeys/{id}/resume', 'post'],
      ['/api/journeys/{id}/stats', 'get'],
      ['/api/nodes', 'get'],
      ['/api/packages', 'get'],
    ];
    for (const [path, method] of routes) {
      const responses = doc.paths[path]?.[method]?.responses;
      expect(responses, `${method} ${path}`).toBeDefined();
      expect(Object.keys(responses), `${method} ${path}`).toContain('401');
    }
    expect(Object.keys(doc.paths['/api/journeys/{id}/publish'].post.responses)).toEqual(
      expect.arrayContaining(['201', '404', '409', '422']),
    );
  });
});

describe('a blank journey name', () => {
  const blank = { path: '/name', message: 'body/name must not be blank' };

  test('is refused on create and on rename, and no journey is named so', async () => {
    const made = await call('POST', '/api/journeys', { name: '   ' });
    expect(made.statusCode).toBe(400);
    expect(made.json().error).toMatchObject({ code: 'validation_failed', details: [blank] });
    const id = await createJourney(t, { name: 'Kept' });
    const renamed = await call('PATCH', `/api/journeys/${id}`, { name: ' \t' });
    expect(renamed.statusCode).toBe(400);
    expect(renamed.json().error).toMatchObject({ code: 'validation_failed', details: [blank] });
    const names = (await call('GET', '/api/journeys')).json().journeys.map((j: { name: string }) => j.name);
    expect(names).toContain('Kept');
    expect(names.filter((name: string) => !name.trim())).toEqual([]);
  });
});
