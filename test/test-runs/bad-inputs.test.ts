import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { UNKNOWN_ID } from '../api/journeys/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { draft, e, hook, n, postTest, rowCounts } from './support.js';

let t: TestApp;
let journeyId: string;
beforeAll(async () => {
  t = await createTestApp();
  journeyId = await draft(t, {
    nodes: [hook(), n('tag', 'crm.tag', { action: 'add', tag: 'x' })],
    edges: [e('hook', 'tag')],
  });
});
afterAll(() => t?.close());

/** Posts a bad test run: checks its status and error code and that nothing was written. */
async function refused(body: object | undefined, status: number, code: string, id = journeyId) {
  const before = await rowCounts(t.runtime.db);
  const res = await postTest(t, id, body);
  expect(res.statusCode, res.body).toBe(status);
  expect(res.json().error.code).toBe(code);
  expect(await rowCounts(t.runtime.db)).toEqual(before);
  return res.json().error;
}

describe('a test run refuses', () => {
  test('an unknown journey with 404', async () => {
    await refused({}, 404, 'not_found', UNKNOWN_ID);
  });

  test('a journey id that is no UUID with 400', async () => {
    await refused({}, 400, 'validation_failed', 'nope');
  });

  test('a JSON null body with 400, as every route whose fields are all optional', async () => {
    const before = await rowCounts(t.runtime.db);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/journeys/${journeyId}/test`,
      payload: 'null',
      headers: { ...t.auth, 'content-type': 'application/json' },
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: '', message: 'body must be object' }],
    });
    expect(await rowCounts(t.runtime.db)).toEqual(before);
  });

  test('an unknown contact id with 404', async () => {
    const error = await refused({ contact: { id: UNKNOWN_ID } }, 404, 'not_found');
    expect(error.message).toContain(UNKNOWN_ID);
  });

  test('an unknown contactId in the trigger payload with 404', async () => {
    await refused({ trigger: { contactId: UNKNOWN_ID } }, 404, 'not_found');
  });

  test('a version that was never published with 404, and one that is no version with 400', async () => {
    const error = await refused({ version: 3 }, 404, 'not_found');
    expect(error.message).toMatch(/no version 3/);
    for (const version of [0, 'latest', 1.5]) {
      const bad = await refused({ version }, 400, 'validation_failed');
      expect(bad.details.some((d: { path: string }) => d.path === '/version')).toBe(true);
    }
  });

  test('an invalid draft with 422 and the errors publishing gives', async () => {
    const id = await draft(t, {
      nodes: [hook(), n('wait', 'core.wait', { duration: 'soon' }), n('lost', 'crm.tag', { action: 'add', tag: 'x' })],
      edges: [e('hook', 'wait')],
    });
    const error = await refused({}, 422, 'invalid_graph', id);
    const publish = await t.app.inject({ method: 'POST', url: `/api/journeys/${id}/publish`, headers: t.auth });
    expect(publish.statusCode).toBe(422);
    expect(error.details).toEqual(publish.json().error.details);
    expect(error.details.map((d: { nodeId?: string }) => d.nodeId)).toEqual(expect.arrayContaining(['wait', 'lost']));
  });

  test('a draft whose split picks its winner by a goal the journey lacks with 422, as publish does', async () => {
    const id = await draft(t, {
      nodes: [
        hook(),
        n('ab', 'core.split', {
          variants: [
            { key: 'a', weight: 50 },
            { key: 'b', weight: 50 },
          ],
          winner: { after: 'PT1M' },
        }),
      ],
      edges: [e('hook', 'ab')],
    });
    const error = await refused({}, 422, 'invalid_graph', id);
    expect(error.details).toMatchObject([{ nodeId: 'ab', path: '/winner/metric' }]);
    const publish = await t.app.inject({ method: 'POST', url: `/api/journeys/${id}/publish`, headers: t.auth });
    expect(error.details).toEqual(publish.json().error.details);
  });

  test('fields the body does not have, naming them', async () => {
    const error = await refused(
      { contact: { email: 'a@example.com', age: 3 }, dryRun: true },
      400,
      'validation_failed',
    );
    expect(error.details.map((d: { path: string }) => d.path)).toEqual(
      expect.arrayContaining(['/contact/age', '/dryRun']),
    );
  });

  test('an event without a name or after a node the graph lacks, naming the field', async () => {
    const missing = await refused({ events: [{ afterNode: 'tag' }] }, 400, 'validation_failed');
    expect(missing.details).toMatchObject([{ path: '/events/0/name' }]);
    const stranger = await refused(
      {
        events: [
          { afterNode: 'tag', name: 'ok' },
          { afterNode: 'ghost', name: 'x', delay: 'later' },
        ],
      },
      400,
      'validation_failed',
    );
    expect(stranger.details.map((d: { path: string }) => d.path)).toEqual(['/events/1/afterNode', '/events/1/delay']);
  });

  test('bad inline contact fields, naming them', async () => {
    const error = await refused(
      { contact: { email: 'not-an-email', timezone: 'Mars/Base' } },
      400,
      'validation_failed',
    );
    expect(error.details.map((d: { path: string }) => d.path)).toEqual(['/contact/email', '/contact/timezone']);
  });

  test('a contact given both by id and by fields', async () => {
    const error = await refused({ contact: { id: UNKNOWN_ID, email: 'a@example.com' } }, 400, 'validation_failed');
    expect(error.details).toMatchObject([{ path: '/contact' }]);
  });

  test('a start node that is not a trigger, and a bad start time', async () => {
    const notTrigger = await refused({ triggerNodeId: 'tag' }, 400, 'validation_failed');
    expect(notTrigger.details).toMatchObject([{ path: '/triggerNodeId' }]);
    const time = await refused({ startAt: 'tomorrow' }, 400, 'validation_failed');
    expect(time.details).toMatchObject([{ path: '/startAt' }]);
  });

  test('a body that is not JSON', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/journeys/${journeyId}/test`,
      headers: { ...t.auth, 'content-type': 'application/json' },
      payload: '{ nope',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_json');
  });
});

describe('a published version', () => {
  test('can be test-run by number, while the draft goes its own way', async () => {
    const publish = await t.app.inject({ method: 'POST', url: `/api/journeys/${journeyId}/publish`, headers: t.auth });
    expect(publish.json()).toEqual({ version: 1 });
    const res = await postTest(t, journeyId, { version: 1, contact: { email: 'v@example.com' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().steps.map((s: { nodeId: string }) => s.nodeId)).toEqual(['hook', 'tag']);
  });
});

test('a bare POST (no body) is a test run with the defaults', async () => {
  const res = await t.app.inject({ method: 'POST', url: `/api/journeys/${journeyId}/test`, headers: t.auth });
  expect(res.statusCode, res.body).toBe(200);
  // No contact by default: the tag node has none to tag.
  expect(res.json().steps.map((s: { nodeId: string }) => s.nodeId)).toEqual(['hook', 'tag']);
});
