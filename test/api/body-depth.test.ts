import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MAX_JSON_DEPTH } from '../../engine/db/storable-text.js';
import { e, n, publish } from '../engine/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

// server/README.md "Nesting": objects and arrays in a value taken from outside nest at most
// MAX_JSON_DEPTH levels (the value itself is level 1), else 400 validation_failed at the
// pointer where the limit is passed — never a 500 from JSON.stringify running out of stack.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** `levels` objects, one inside the next under the key `a`. */
const nested = (levels: number): string => `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;
/** The pointer of the first object past the limit, in a value at `base` that is level `baseLevel`. */
const pastLimit = (base: string, baseLevel: number) => base + '/a'.repeat(MAX_JSON_DEPTH + 1 - baseLevel);
const TOO_DEEP = `must not nest objects and arrays more than ${MAX_JSON_DEPTH} levels deep`;

const post = (url: string, payload: string, headers: Record<string, string> = t.auth) =>
  t.app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': 'application/json' }, payload });

describe('a JSON body nested past the limit', () => {
  test('POST /api/events with properties 5,000 levels deep is 400 validation_failed at the level past the limit', async () => {
    const res = await post('/api/events', `{"email":"deep@example.com","name":"visit","properties":${nested(5000)}}`);
    expect(res.statusCode).toBe(400);
    const path = pastLimit('/properties', 2);
    expect(res.json().error).toEqual({
      code: 'validation_failed',
      message: `body${path} ${TOO_DEEP}`,
      details: [{ path, message: `body${path} ${TOO_DEEP}` }],
    });
  });

  test('POST /api/contacts with attributes nested so is refused the same way', async () => {
    const res = await post('/api/contacts', `{"email":"deep@example.com","attributes":${nested(5000)}}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: pastLimit('/attributes', 2), message: `body${pastLimit('/attributes', 2)} ${TOO_DEEP}` },
    ]);
  });

  test('arrays count as objects do', async () => {
    const deep = `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`;
    const res = await post('/api/contacts', `{"email":"deep@example.com","attributes":{"list":${deep}}}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toBe(`/attributes/list${'/0'.repeat(MAX_JSON_DEPTH - 2)}`);
  });

  test('a public route refuses it too, before its schema', async () => {
    const res = await post('/api/auth/sign-in', `{"email":${nested(1000)},"password":"x"}`, {});
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: pastLimit('/email', 2), message: `body${pastLimit('/email', 2)} ${TOO_DEEP}` },
    ]);
  });

  test('a webhook payload is refused as payload/…, and starts nothing', async () => {
    const secret = 'a-webhook-secret-of-some-length';
    const j = await publish(t.runtime.db, { nodes: [n('hook', 'core.webhook', { secret })], edges: [] });
    const res = await post(`/hooks/${j.journeyId}/hook`, `{"data":${nested(5000)}}`, { 'x-waymark-secret': secret });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: pastLimit('/data', 2), message: `payload${pastLimit('/data', 2)} ${TOO_DEEP}` },
    ]);
    const runs = await t.runtime.db.selectFrom('runs').select('id').where('journey_id', '=', j.journeyId).execute();
    expect(runs).toEqual([]);
  });

  test('a ?segment= filter whose value nests so is refused at segment/…', async () => {
    const segment = `{"attr":"plan","op":"eq","value":${nested(1000)}}`;
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/contacts?segment=${encodeURIComponent(segment)}`,
      headers: t.auth,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toBe(pastLimit('/value', 2));
  });

  test('an NDJSON import line nested so fails alone; the others are stored', async () => {
    const lines = [`{"email":"deep@example.com","attributes":${nested(5000)}}`, '{"email":"flat@example.com"}'];
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/contacts/import',
      headers: { ...t.auth, 'content-type': 'application/x-ndjson' },
      payload: lines.join('\n'),
    });
    expect(res.statusCode).toBe(200);
    const field = pastLimit('/attributes', 2).slice(1);
    expect(res.json()).toMatchObject({ imported: 1, failed: [{ row: 1, field, error: `${field} ${TOO_DEEP}` }] });
  });
});

describe('a JSON body nested right up to the limit', () => {
  test('is taken, stored and read back whole', async () => {
    const properties = nested(MAX_JSON_DEPTH - 1);
    const sent = await post('/api/events', `{"email":"edge@example.com","name":"visit","properties":${properties}}`);
    expect(sent.statusCode).toBe(202);
    const contact = await post('/api/contacts', '{"email":"edge@example.com"}');
    const listed = await t.app.inject({
      method: 'GET',
      url: `/api/events?contactId=${contact.json().id}`,
      headers: t.auth,
    });
    expect(listed.json().events[0].properties).toEqual(JSON.parse(properties));
  });

  test('and so is a webhook payload', async () => {
    const secret = 'a-webhook-secret-of-some-length';
    const j = await publish(t.runtime.db, {
      nodes: [n('hook', 'core.webhook', { secret }), n('end', 'core.exit', {})],
      edges: [e('hook', 'end')],
    });
    const res = await post(`/hooks/${j.journeyId}/hook`, nested(MAX_JSON_DEPTH), { 'x-waymark-secret': secret });
    expect(res.statusCode).toBe(202);
  });
});
