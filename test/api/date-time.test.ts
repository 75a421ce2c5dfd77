import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { validatorCompilers } from '../../server/plugins/validators.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

// A date-time field takes only a time a Date can hold: a leap second ("…23:59:60Z") passed the
// format and reached SQL as an Invalid Date, a 500 where a 400 naming the field was due.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const postEvent = (timestamp: string) =>
  t.app.inject({
    method: 'POST',
    url: '/api/events',
    headers: t.auth,
    payload: { email: 'leap@example.com', name: 'tick', timestamp },
  });

describe('POST /api/events with a timestamp', () => {
  test('a leap second answers 400 validation_failed naming the timestamp', async () => {
    const res = await postEvent('2016-12-31T23:59:60Z');
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'validation_failed',
      details: [expect.objectContaining({ path: '/timestamp' })],
    });
  });

  test('an ordinary time with an offset is stored as that instant', async () => {
    const res = await postEvent('2016-12-31T23:59:59.5+01:00');
    expect(res.statusCode, res.body).toBe(202);
    const { rows } = await t.runtime.pool.query('select timestamp from events where id = $1', [res.json().id]);
    expect(rows[0].timestamp.toISOString()).toBe('2016-12-31T22:59:59.500Z');
  });
});

describe('any date-time field of a request', () => {
  // Every route's validators are built by validatorCompilers: a query string is checked as a body is.
  test('in a query string refuses a leap second and takes an ordinary time', async () => {
    const app = Fastify({ schemaController: validatorCompilers });
    app.get(
      '/since',
      { schema: { querystring: { type: 'object', properties: { since: { type: 'string', format: 'date-time' } } } } },
      async () => ({ ok: true }),
    );
    const leap = await app.inject({ url: '/since?since=2016-12-31T23:59:60Z' });
    expect(leap.statusCode).toBe(400);
    expect(leap.json().message).toContain('querystring/since must match format "date-time"');
    expect((await app.inject({ url: '/since?since=2016-12-31T23:59:59Z' })).statusCode).toBe(200);
    await app.close();
  });
});
