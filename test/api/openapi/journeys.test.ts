import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker } from '../../../engine/worker/start-worker.js';
import { testPackage } from '../../engine/support.js';
import { failedRunOf } from '../../failures/support.js';
import { type AnswerChecking, createAnswerCheckingApp } from './support.js';

// Every call below is checked against the OpenAPI document by `t.call`: status listed,
// body valid against the listed schema, nothing dropped by the serializer.
let t: AnswerChecking;
beforeAll(async () => {
  t = await createAnswerCheckingApp();
  t.runtime.registry.add(testPackage);
});
afterAll(() => t?.close());

const SECRET = 'a-webhook-secret-of-some-length';
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const json = { 'content-type': 'application/json' };

const graph = (schema?: object) => ({
  nodes: [
    {
      id: 'hook',
      type: 'core.webhook',
      version: 1,
      params: { secret: SECRET, ...(schema ? { schema } : {}) },
      position: { x: 0, y: 0 },
    },
    { id: 'pause', type: 'core.wait', version: 1, params: { duration: 'P1D' }, position: { x: 0, y: 100 } },
  ],
  edges: [{ id: 'e1', source: 'hook', sourceHandle: 'out', target: 'pause' }],
});

const api = (method: string, url: string, payload?: object) =>
  t.call({ method, url, headers: t.auth, ...(payload ? { payload } : {}) });

async function liveJourney(settings: object = {}, schema?: object): Promise<string> {
  const created = await api('POST', '/api/journeys', { name: 'Documented', graph: graph(schema), settings });
  const id = created.json().id as string;
  expect((await api('POST', `/api/journeys/${id}/publish`)).statusCode).toBe(201);
  return id;
}

/** A live journey whose webhook run answers at once with `status` and `body` (core.respond). */
async function respondingJourney(status: number, body: Record<string, string>): Promise<string> {
  const respond = {
    id: 'answer',
    type: 'core.respond',
    version: 1,
    params: { status, body },
    position: { x: 0, y: 0 },
  };
  const { nodes, edges } = graph();
  const answering = { nodes: [nodes[0], respond], edges: [{ ...edges[0], target: 'answer' }] };
  const created = await api('POST', '/api/journeys', { name: 'Answering', graph: answering });
  const id = created.json().id as string;
  expect((await api('POST', `/api/journeys/${id}/publish`)).statusCode).toBe(201);
  return id;
}

const hook = (journeyId: string, payload: string, headers: Record<string, string> = {}) =>
  t.call({
    method: 'POST',
    url: `/hooks/${journeyId}/hook`,
    headers: { ...json, 'x-waymark-secret': SECRET, ...headers },
    payload,
  });

describe('the answers of the operation and catalogue routes match the document', () => {
  test('health, nodes and packages', async () => {
    expect((await t.call({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await api('GET', '/api/nodes')).statusCode).toBe(200);
    expect((await api('GET', '/api/packages')).statusCode).toBe(200);
    expect((await t.call({ method: 'GET', url: '/api/nodes' })).statusCode).toBe(401);
  });
});

describe('the answers of the journey routes match the document', () => {
  test('a journey from draft to archive', async () => {
    const created = await api('POST', '/api/journeys', { name: 'Lifecycle' });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    expect((await api('GET', '/api/journeys')).statusCode).toBe(200);
    expect((await api('GET', `/api/journeys/${id}`)).statusCode).toBe(200);
    expect((await api('PATCH', `/api/journeys/${id}`, { name: 'Renamed' })).statusCode).toBe(200);
    const broken = { ...graph(), edges: [{ id: 'e1', source: 'hook', sourceHandle: 'nowhere', target: 'pause' }] };
    expect((await api('PUT', `/api/journeys/${id}/draft`, { graph: broken })).statusCode).toBe(200);
    expect((await api('POST', `/api/journeys/${id}/validate`)).json().valid).toBe(false);
    expect((await api('POST', `/api/journeys/${id}/publish`)).statusCode).toBe(422);
    expect((await api('PUT', `/api/journeys/${id}/draft`, { graph: graph() })).statusCode).toBe(200);
    expect((await api('POST', `/api/journeys/${id}/validate`)).json()).toEqual({ valid: true });
    expect((await api('POST', `/api/journeys/${id}/publish`)).statusCode).toBe(201);
    expect((await api('GET', `/api/journeys/${id}/versions/1`)).statusCode).toBe(200);
    expect((await api('GET', `/api/journeys/${id}/diff?from=1&to=draft`)).statusCode).toBe(200);
    expect((await api('GET', `/api/journeys/${id}/stats?version=1`)).statusCode).toBe(200);
    expect((await api('POST', `/api/journeys/${id}/pause`)).statusCode).toBe(200);
    expect((await api('POST', `/api/journeys/${id}/resume`)).statusCode).toBe(200);
    expect((await api('DELETE', `/api/journeys/${id}`)).statusCode).toBe(204);
  });

  test('bad requests', async () => {
    expect((await api('POST', '/api/journeys', {})).statusCode).toBe(400);
    expect((await api('GET', '/api/journeys/not-a-uuid')).statusCode).toBe(400);
    expect((await api('GET', `/api/journeys/${UNKNOWN}`)).statusCode).toBe(404);
    expect((await api('GET', `/api/journeys/${UNKNOWN}/diff`)).statusCode).toBe(400);
    const xml = { ...t.auth, 'content-type': 'application/xml' };
    expect((await t.call({ method: 'POST', url: '/api/journeys', headers: xml, payload: '<x/>' })).statusCode).toBe(
      415,
    );
    const badJson = { ...t.auth, ...json };
    expect((await t.call({ method: 'POST', url: '/api/journeys', headers: badJson, payload: '{' })).statusCode).toBe(
      400,
    );
  });
});

describe('the answers of the bulk retry route match the document', () => {
  test('a dry run, a job, and the 409 of an archived journey (dry run too)', async () => {
    const id = await liveJourney();
    const url = `/api/journeys/${id}/retry`;
    expect((await api('POST', url, { dryRun: true })).statusCode).toBe(200);
    expect((await api('POST', url, {})).statusCode).toBe(202);
    expect((await api('DELETE', `/api/journeys/${id}`)).statusCode).toBe(204);
    expect((await api('POST', url, { dryRun: true })).statusCode).toBe(409);
    expect((await api('POST', url, {})).statusCode).toBe(409);
  });
});

describe('the answers of the webhook route match the document', () => {
  test('accepted, turned away by re-entry, refused', async () => {
    const id = await liveJourney({ reentry: 'once' }, { type: 'object', required: ['email'] });
    expect((await hook(id, JSON.stringify({ email: 'doc@example.com' }))).statusCode).toBe(202);
    expect((await hook(id, JSON.stringify({ email: 'doc@example.com' }))).statusCode).toBe(200);
    expect((await hook(id, JSON.stringify({ name: 'no email' }))).statusCode).toBe(422);
    expect((await hook(id, '{')).statusCode).toBe(400);
    expect((await hook(id, '{}', { 'content-type': '' })).statusCode).toBe(415);
    expect((await hook(id, '{}', { 'x-waymark-secret': 'wrong-secret-of-some-length' })).statusCode).toBe(401);
    expect((await hook(UNKNOWN, '{}')).statusCode).toBe(404);
    const big = JSON.stringify({ email: 'big@example.com', pad: 'x'.repeat(1024 * 1024) });
    expect((await hook(id, big)).statusCode).toBe(413);
    expect((await api('POST', `/api/journeys/${id}/pause`)).statusCode).toBe(200);
    expect((await hook(id, JSON.stringify({ email: 'doc@example.com' }))).statusCode).toBe(409);
  });

  test("with Prefer: wait, the journey's own answer at its status, with Waymark-Run-Id and Preference-Applied", async () => {
    const worker = await startWorker(t.runtime, { pollInterval: 100 });
    try {
      for (const [status, body] of [
        [201, { msg: 'hi' }],
        [422, { msg: 'not this one' }],
      ] as const) {
        const id = await respondingJourney(status, body);
        const res = await hook(id, '{}', { prefer: 'wait=5' });
        expect([res.statusCode, res.json()]).toEqual([status, body]);
        expect(res.headers['preference-applied']).toBe('wait=5');
      }
    } finally {
      await worker.stop();
    }
  });

  test("the document admits the journey's answer at every status it lists, and lists its headers", async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const responses: Record<string, { content: Record<string, { schema: object }>; headers?: object }> =
      doc.paths['/hooks/{journeyId}/{nodeId}'].post.responses;
    const ajv = new Ajv2020({ strict: false });
    for (const [status, answer] of Object.entries(responses)) {
      const validate = ajv.compile(answer.content['application/json']?.schema ?? {});
      expect(validate({ msg: 'hi' }), `${status} admits a journey's body`).toBe(true);
    }
    expect(Object.keys(responses.default?.headers ?? {})).toEqual(['Waymark-Run-Id', 'Preference-Applied']);
  });

  test('over the rate limit, with Retry-After', async () => {
    const id = await liveJourney({ webhookRateLimit: { max: 1, window: 'PT1H' } });
    expect((await hook(id, '{}')).statusCode).toBe(202);
    expect((await hook(id, '{}')).statusCode).toBe(429);
  });
});

describe('the answers of the run routes match the document', () => {
  test('list, read and cancel', async () => {
    const id = await liveJourney();
    const runId = (await hook(id, JSON.stringify({ email: 'runner@example.com' }))).json().runId as string;
    expect((await api('GET', `/api/runs?journeyId=${id}`)).json().runs).toHaveLength(1);
    expect((await api('GET', `/api/runs/${runId}`)).statusCode).toBe(200);
    expect((await api('POST', `/api/runs/${runId}/cancel`)).statusCode).toBe(200);
    expect((await api('POST', `/api/runs/${runId}/cancel`)).statusCode).toBe(200);
    expect((await api('GET', `/api/runs/${UNKNOWN}`)).statusCode).toBe(404);
    expect((await api('GET', '/api/runs?status=sleeping')).statusCode).toBe(400);
  });
});

describe('the answers of a failed run’s routes match the document', () => {
  test('the failures view, a retry, and a bulk retry that finds it', async () => {
    const worker = await startWorker(t.runtime, { pollInterval: 100 });
    try {
      const { journeyId, runId } = await failedRunOf(t);
      expect((await api('GET', `/api/runs/${runId}`)).json().failure.nodeId).toBe('fail');
      expect((await api('GET', `/api/runs?journeyId=${journeyId}&status=failed`)).json().runs).toHaveLength(1);
      expect((await api('GET', `/api/journeys/${journeyId}/failures`)).json().total).toBe(1);
      expect((await api('POST', `/api/journeys/${journeyId}/retry`, { dryRun: true })).json().matched).toBe(1);
      expect((await api('POST', `/api/runs/${runId}/retry`, { version: 99 })).statusCode).toBe(400);
      expect((await api('POST', `/api/runs/${runId}/retry`, {})).statusCode).toBe(200);
    } finally {
      await worker.stop();
    }
  });
});
