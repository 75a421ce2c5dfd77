import { expect } from 'vitest';
import type { TestApp } from '../support/runtime.js';

/** The `field` (email, phone) of each contact `GET /api/contacts?segment=` matches with `filter`. */
export async function segmentField(t: TestApp, filter: object, field: 'email' | 'phone'): Promise<string[]> {
  const res = await t.app.inject({
    method: 'GET',
    url: `/api/contacts?segment=${encodeURIComponent(JSON.stringify(filter))}`,
    headers: t.auth,
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().contacts.map((c: Record<string, string>) => c[field]);
}
