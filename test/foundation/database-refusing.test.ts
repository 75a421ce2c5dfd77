import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { adminQuery, createTestDatabase, type TestDatabase, whileDatabaseClosed } from '../support/database.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

// API.md "Errors": 503 unavailable when the database cannot be reached, with Retry-After.
// PostgreSQL refusing a connection for too many clients (SQLSTATE 53300) is made real with a
// role of this file's own and its CONNECTION LIMIT (superusers are not held to one).

const role = `waymark_limited_${randomBytes(4).toString('hex')}`;
let database: TestDatabase;
let t: TestApp;

beforeAll(async () => {
  database = await createTestDatabase();
  await adminQuery(`create role ${role} login connection limit -1`);
  await adminQuery(`grant pg_read_all_data, pg_write_all_data to ${role}`);
  const url = new URL(database.url);
  url.username = role;
  url.password = '';
  t = await createTestApp({}, { database: { ...database, url: url.toString() } });
});
afterAll(async () => {
  await t?.close();
  await database?.drop();
  await adminQuery(`drop role if exists ${role}`);
});

describe('a database that takes no more connections', () => {
  test('answers 503 unavailable with Retry-After, and serves again once it takes them', async () => {
    // The health watch would answer 503 on its own once it noticed: the answer to the failed
    // query is what is looked at here.
    await t.runtime.health.stop();
    expect((await t.app.inject({ method: 'GET', url: '/api/journeys', headers: t.auth })).statusCode).toBe(200);

    await adminQuery(`alter role ${role} connection limit 0`);
    await adminQuery(`select pg_terminate_backend(pid) from pg_stat_activity where usename = '${role}'`);
    const refused = await t.app.inject({ method: 'GET', url: '/api/journeys', headers: t.auth });
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error.code).toBe('unavailable');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

    await adminQuery(`alter role ${role} connection limit -1`);
    expect((await t.app.inject({ method: 'GET', url: '/api/journeys', headers: t.auth })).statusCode).toBe(200);
  });
});

describe('a database that takes no connections (ALLOW_CONNECTIONS false, as during maintenance)', () => {
  test('answers 503 unavailable with Retry-After, not 500, and serves again once it takes them', async () => {
    await t.runtime.health.stop();
    await whileDatabaseClosed(database.url, async () => {
      const refused = await t.app.inject({ method: 'GET', url: '/api/journeys', headers: t.auth });
      expect(refused.statusCode).toBe(503);
      expect(refused.json().error.code).toBe('unavailable');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    });
    expect((await t.app.inject({ method: 'GET', url: '/api/journeys', headers: t.auth })).statusCode).toBe(200);
  });
});
