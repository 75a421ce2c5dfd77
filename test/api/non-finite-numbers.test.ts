import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';

// A number past double precision (`1e309`) was read as Infinity and stored as null, with no
// error. It is refused where the JSON is taken, naming the field, as unstorable text is.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const send = (url: string, contentType: string, payload: string) =>
  t.app.inject({ method: 'POST', url, headers: { ...t.auth, 'content-type': contentType }, payload });
const contactCount = async () => (await t.runtime.pool.query('select count(*)::int as n from contacts')).rows[0].n;

describe('a number outside double precision range', () => {
  test('in a contact attribute answers 400 naming it and stores nothing', async () => {
    const before = await contactCount();
    const res = await send('/api/contacts', 'application/json', '{"email":"big@x.com","attributes":{"big":1e309}}');
    expect(res.statusCode, res.body).toBe(400);
    const message = 'body/attributes/big must be a number within double precision range';
    expect(res.json().error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: '/attributes/big', message }],
    });
    expect(await contactCount()).toBe(before);
  });

  test('in an event property, inside a list, is named by its pointer', async () => {
    const res = await send(
      '/api/events',
      'application/json',
      '{"email":"e@x.com","name":"x","properties":{"l":[1,-1e400]}}',
    );
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: '/properties/l/1', message: 'body/properties/l/1 must be a number within double precision range' },
    ]);
  });

  test('in an NDJSON import line fails that line alone', async () => {
    const lines = ['{"email":"n1@x.com","attributes":{"big":1e309}}', '{"email":"n2@x.com","attributes":{"ok":1e308}}'];
    const res = await send('/api/contacts/import', 'application/x-ndjson', lines.join('\n'));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      imported: 1,
      failed: [
        { row: 1, field: 'attributes/big', error: 'attributes/big must be a number within double precision range' },
      ],
    });
  });
});
