import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { GraphNode, JourneyGraph } from '../../../../engine/graph/types.js';
import { createTestApp, type TestApp } from '../../../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

type Template = { id: string; name: string; description: string; graph: JourneyGraph; settings?: object };

async function templates(): Promise<Template[]> {
  const res = await t.app.inject({ method: 'GET', url: '/api/journey-templates', headers: t.auth });
  expect(res.statusCode).toBe(200);
  return res.json().templates;
}

async function create(body: object) {
  return t.app.inject({ method: 'POST', url: '/api/journeys', headers: t.auth, payload: body });
}

async function validate(id: string) {
  const res = await t.app.inject({ method: 'POST', url: `/api/journeys/${id}/validate`, headers: t.auth });
  return res.json() as { valid: boolean; errors?: { nodeId?: string; path?: string; message: string }[] };
}

/** What a marketer types into the fields a template leaves empty. */
function fillIn(node: GraphNode): GraphNode {
  const params = { ...node.params };
  if (params.from === '') params.from = 'News <news@example.com>';
  if (Array.isArray(params.owners) && params.owners.length === 0) params.owners = ['sales@example.com'];
  const filter = JSON.stringify(params.filter ?? null).replace('"tag":""', '"tag":"interest-a"');
  if (params.filter) params.filter = JSON.parse(filter);
  return { ...node, params };
}

describe('GET /api/journey-templates', () => {
  test('offers the six starting points of the gallery, each with a graph', async () => {
    const list = await templates();
    expect(list.map((x) => x.id)).toEqual([
      'welcome-series',
      'abandoned-cart',
      're-engagement',
      'webinar-follow-up',
      'birthday',
      'newsletter',
    ]);
    for (const template of list) {
      expect(template.name).not.toBe('');
      expect(template.description).not.toBe('');
      expect(template.graph.nodes.length).toBeGreaterThan(1);
    }
  });

  test('the webinar follow-up sends a click on link A to follow-up A and turns a reply into a lead', async () => {
    const { graph } = (await templates()).find((x) => x.id === 'webinar-follow-up')!;
    const target = (source: string, output: string) =>
      graph.edges.find((e) => e.source === source && e.sourceHandle === output)?.target;
    const clickA = graph.nodes.find((n) => n.type === 'core.wait-for-event' && n.params.event === 'email.clicked')!;
    expect(clickA.params.filter).toEqual({ attr: 'key', op: 'eq', value: 'a' });
    expect(target(clickA.id, 'event')).toBe('followUpA');
    const reply = graph.nodes.find((n) => n.params.event === 'email.replied')!;
    expect(graph.nodes.find((n) => n.id === target(reply.id, 'event'))?.type).toBe('crm.create-lead');
  });
});

describe('POST /api/journeys with a template', () => {
  test.each(['welcome-series', 'abandoned-cart', 're-engagement', 'webinar-follow-up', 'birthday', 'newsletter'])(
    '%s makes a draft that names its empty fields, and validates once they are filled in',
    async (id) => {
      const res = await create({ name: `From ${id}`, template: id });
      expect(res.statusCode).toBe(201);
      const journey = res.json();
      expect(journey.status).toBe('draft');
      const template = (await templates()).find((x) => x.id === id)!;
      expect(journey.draft.graph).toEqual(template.graph);

      const before = await validate(journey.id);
      expect(before.valid).toBe(false);

      const graph = { ...journey.draft.graph, nodes: journey.draft.graph.nodes.map(fillIn) };
      const put = await t.app.inject({
        method: 'PUT',
        url: `/api/journeys/${journey.id}/draft`,
        headers: t.auth,
        payload: { graph },
      });
      expect(put.statusCode).toBe(200);
      expect(await validate(journey.id)).toEqual({ valid: true });
    },
  );

  test('keeps the template’s settings unless the request gives its own', async () => {
    const plain = (await create({ name: 'Cart', template: 'abandoned-cart' })).json();
    expect(plain.draft.settings).toMatchObject({ reentry: 'once-at-a-time', exitOn: ['purchase'] });
    const own = (await create({ name: 'Cart', template: 'abandoned-cart', settings: { reentry: 'always' } })).json();
    expect(own.draft.settings).toMatchObject({ reentry: 'always', exitOn: ['purchase'] });
  });

  test('an unknown template is a bad request naming the field', async () => {
    const res = await create({ name: 'Nope', template: 'no-such-template' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
    expect(res.json().error.details[0].path).toBe('/template');
  });

  test('a graph and a template together are refused', async () => {
    const res = await create({ name: 'Both', template: 'birthday', graph: { nodes: [], edges: [] } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toBe('/graph');
  });
});
