import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// Two fields whose mapTo paths overlap would fill one attribute and a part of it: one value
// would be lost, silently, depending on their order.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const email = { name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' };
const text = (name: string, mapTo: string) => ({ name, label: name, type: 'text', mapTo });
const putForm = (id: string, fields: object[]) =>
  t.app.inject({ method: 'PUT', url: `/api/forms/${id}`, headers: t.auth, payload: { name: 'Overlap', fields } });

describe('a field mapped onto a part of another field’s attribute', () => {
  test('is refused at its mapTo, naming the other field, whichever comes first', async () => {
    const res = await putForm('overlap', [email, text('a', 'attributes.a.b'), text('c', 'attributes.a')]);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: '/fields/2/mapTo', message: 'attributes.a holds attributes.a.b, filled by field a' },
    ]);
    const reversed = await putForm('reversed', [email, text('c', 'attributes.a'), text('a', 'attributes.a.b')]);
    expect(reversed.json().error.details).toEqual([
      { path: '/fields/2/mapTo', message: 'attributes.a.b is within attributes.a, filled by field c' },
    ]);
  });

  test('attributes whose names merely begin alike are no overlap', async () => {
    const res = await putForm('alike', [email, text('a', 'attributes.plan'), text('b', 'attributes.planned')]);
    expect(res.statusCode).toBe(201);
  });
});
