import { sql } from 'kysely';
import { expect } from 'vitest';
import { api } from '../../failures/support.js';
import type { TestApp } from '../../support/runtime.js';

/** A new contact with `attributes`, through the API; returns its id. */
export async function contact(t: TestApp, email: string, attributes: object): Promise<string> {
  const res = await api(t, { method: 'POST', url: '/api/contacts', payload: { email, attributes } });
  expect(res.status).toBe(201);
  return res.body.id;
}

/** The contacts of the journey's runs, oldest run first. */
export async function runsOf(t: TestApp, journeyId: string): Promise<string[]> {
  const { rows } = await sql<{ contact_id: string }>`
    select contact_id from runs where journey_id = ${journeyId} order by started_at, contact_id`.execute(t.runtime.db);
  return rows.map((r) => r.contact_id);
}
