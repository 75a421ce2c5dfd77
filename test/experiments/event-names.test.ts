import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestApp } from '../support/runtime.js';
import { experimentsApp } from './support.js';

// Engagement (API.md "Analytics": opened, clicked, replied, unsubscribed) is read from the events
// named email.*; every other name, whatever its spelling, is an ordinary event.
let t: TestApp;
beforeAll(async () => {
  t = await experimentsApp();
});
afterAll(async () => {
  await t?.close();
});

describe('events beside engagement', () => {
  test('an event named like a built-in of JavaScript objects, carrying a messageId, is stored: 202', async () => {
    const messageId = '00000000-0000-4000-8000-000000000000';
    for (const name of ['toString', 'constructor', 'hasOwnProperty']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/events',
        headers: t.auth,
        payload: { email: 'names@example.com', name, properties: { messageId } },
      });
      expect(res.statusCode, name).toBe(202);
      const listed = await t.app.inject({ url: `/api/events?name=${name}`, headers: t.auth });
      expect(listed.json().events, name).toEqual([expect.objectContaining({ name, properties: { messageId } })]);
    }
  });
});
