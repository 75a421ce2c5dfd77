import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JourneyGraph } from '../../../../engine/graph/types.js';
import { createTestApp, type TestApp } from '../../../support/runtime.js';
import { graphWith, publishGraph } from '../bounds-support.js';

// No event is stored under a blank name (POST /api/events refuses one), so a trigger, wait,
// exitOn, goal, filter or computed attribute naming "" or "  " waited for, or counted, nothing
// while it was accepted without a word. Each is refused where it is given, at its field.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: t.auth, ...(payload ? { payload } : {}) });

const BLANK: [string, string][] = [
  ['empty', ''],
  ['only spaces', '  '],
  ['only a tab and a newline', '\t\n'],
];

/** What a filter or computed attribute says of its event name: "" was refused before blanks were. */
const clauseSays = (event: string) => (event === '' ? 'event must be a non-empty string' : 'event must not be blank');

const at = { x: 0, y: 0 };
/** A `core.event` trigger on `event`, then an exit. */
const eventTriggered = (event: string): JourneyGraph => ({
  nodes: [
    { id: 'on', type: 'core.event', version: 1, params: { event }, position: at },
    { id: 'end', type: 'core.exit', version: 1, params: {}, position: at },
  ],
  edges: [{ id: 'e', source: 'on', sourceHandle: 'out', target: 'end' }],
});

describe('a blank event name in a node’s params keeps the journey from publishing: 422 invalid_graph at the node and param', () => {
  test.each(BLANK)('core.event’s event, %s', async (_what, event) => {
    const res = await publishGraph(t, eventTriggered(event));
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({
      code: 'invalid_graph',
      details: [{ nodeId: 'on', path: '/event', message: '/event must not be blank' }],
    });
  });

  test.each(BLANK)('core.wait-for-event’s event, %s', async (_what, event) => {
    const res = await publishGraph(
      t,
      graphWith('core.wait-for-event', { event, timeout: 'P1D' }, ['event', 'timeout']),
    );
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details).toEqual([{ nodeId: 'n', path: '/event', message: '/event must not be blank' }]);
  });

  test.each(BLANK)('an event clause of a condition’s filter, %s', async (_what, event) => {
    const filter = { all: [{ event, op: 'count', gte: 1 }] };
    const res = await publishGraph(t, graphWith('core.condition', { filter }, ['yes', 'no']));
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details).toEqual([
      { nodeId: 'n', path: '/filter/all/0/event', message: clauseSays(event) },
    ]);
  });

  test('an event name with spaces around it publishes, and is kept as given', async () => {
    const res = await publishGraph(t, eventTriggered(' signup '));
    expect(res.statusCode).toBe(201);
  });
});

describe('a blank event name in journey settings answers 400 validation_failed naming the field', () => {
  test.each(BLANK)('an exitOn entry, %s', async (_what, event) => {
    const res = await call('POST', '/api/journeys', {
      name: 'Exit',
      settings: { reentry: 'always', exitOn: ['purchase', event] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: '/settings/exitOn/1', message: 'body/settings/exitOn/1 must not be blank' }],
    });
  });

  test.each(BLANK)('a goal’s event, %s', async (_what, event) => {
    const res = await call('POST', '/api/journeys', {
      name: 'Goal',
      settings: { goal: { event, windowSeconds: 3600 } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: '/settings/goal/event', message: 'body/settings/goal/event must not be blank' }],
    });
  });
});

describe('a blank event name elsewhere', () => {
  test.each(BLANK)(
    'a segment’s event clause, %s: 400 validation_failed at the clause’s event',
    async (_what, event) => {
      const segment = encodeURIComponent(JSON.stringify({ event, op: 'count', gte: 1 }));
      const res = await call('GET', `/api/contacts?segment=${segment}`);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({
        code: 'validation_failed',
        details: [{ path: '/event', message: clauseSays(event) }],
      });
    },
  );

  test.each(BLANK)(
    'a computed attribute’s event, %s: 400 validation_failed at /definition/event',
    async (_what, event) => {
      const res = await call('PUT', '/api/computed-attributes/orders', {
        definition: { kind: 'aggregate', fn: 'count', event },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({
        code: 'validation_failed',
        details: [{ path: '/definition/event', message: clauseSays(event) }],
      });
    },
  );

  test.each(BLANK)('a test run’s event, %s: 400 validation_failed at /events/0/name', async (_what, name) => {
    const created = await call('POST', '/api/journeys', {
      name: 'Test run',
      graph: graphWith('core.wait-for-event', { event: 'purchase', timeout: 'P1D' }, ['event', 'timeout']),
    });
    const res = await call('POST', `/api/journeys/${created.json().id}/test`, {
      trigger: {},
      events: [{ afterNode: 'hook', name }],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: '/events/0/name', message: 'body/events/0/name must not be blank' }],
    });
  });
});
