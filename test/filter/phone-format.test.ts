import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { e, n } from '../engine/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { draft, postTest } from '../test-runs/support.js';
import { segmentField } from './support.js';

// API.md "Contacts": phones are stored in E.164, so a clause on `phone` compares a number written
// with spaces, dots, dashes or brackets without them.
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
  for (const phone of ['+358401234567', '+14155550100'])
    await t.app.inject({ method: 'POST', url: '/api/contacts', headers: t.auth, payload: { phone } });
});
afterAll(() => t?.close());

const segmentPhones = (filter: object) => segmentField(t, filter, 'phone');

describe('a filter clause on phone', () => {
  test.each([
    [{ op: 'eq', value: '+358 40 123 4567' }, ['+358401234567']],
    [{ op: 'in', value: ['+1 (415) 555-0100', '+44 20 0000 0000'] }, ['+14155550100']],
    [{ op: 'contains', value: '555-0100' }, ['+14155550100']],
    [{ op: 'neq', value: '+358 40 123 4567' }, ['+14155550100']],
  ])('in a segment, %o matches the number however it is spaced', async (clause, phones) => {
    expect((await segmentPhones({ attr: 'phone', ...clause })).sort()).toEqual(phones);
  });

  test('in a test run’s condition matches the number however it is spaced', async () => {
    const id = await draft(t, {
      nodes: [
        n('hook', 'core.webhook', { secret: 'a-webhook-secret-of-some-length' }),
        n('cond', 'core.condition', { filter: { attr: 'phone', op: 'eq', value: '+358 40.123.4567' } }),
      ],
      edges: [e('hook', 'cond')],
    });
    const res = await postTest(t, id, { contact: { phone: '+358401234567' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().steps[1].next).toBe('yes');
  });
});
