import type { LightMyRequestResponse } from 'fastify';
import { type Kysely, sql } from 'kysely';
import { expect } from 'vitest';
import type { Database } from '../../engine/db/database.js';
import type { JourneyGraph, JourneySettings } from '../../engine/graph/types.js';
import { createJourney } from '../api/journeys/support.js';
import { e, n } from '../engine/support.js';
import type { TestApp } from '../support/runtime.js';

export { e, n };

export const SECRET = 'a-secret-of-16-chars';

/** A webhook trigger, the usual start of a test graph. */
export const hook = (id = 'hook') => n(id, 'core.webhook', { secret: SECRET });

/** Rows in every table of the public schema and in graphile_worker.jobs, by table. */
export async function rowCounts(db: Kysely<Database>): Promise<Record<string, number>> {
  const { rows: tables } = await sql<{ name: string }>`
    select tablename as name from pg_tables where schemaname = 'public' order by tablename`.execute(db);
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(name)}`.execute(db);
    counts[name] = rows[0]?.n ?? 0;
  }
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from graphile_worker.jobs`.execute(db);
  counts['graphile_worker.jobs'] = rows[0]?.n ?? 0;
  return counts;
}

/** A journey whose draft is `graph`; returns its id. */
export function draft(t: TestApp, graph: JourneyGraph, settings?: Partial<JourneySettings>): Promise<string> {
  return createJourney(t, { name: 'Test run', graph, ...(settings ? { settings } : {}) });
}

/** `POST /api/journeys/:id/test` with `body` (none when undefined). */
export function postTest(t: TestApp, journeyId: string, body?: object): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: `/api/journeys/${journeyId}/test`,
    headers: t.auth,
    ...(body ? { payload: body } : {}),
  });
}

/**
 * A test run that must answer 200 and leave every table as it was (runs, steps, messages,
 * events, contacts, leads, jobs, …); returns the answer's body.
 */
export async function testRun(t: TestApp, journeyId: string, body: object = {}) {
  const before = await rowCounts(t.runtime.db);
  const res = await postTest(t, journeyId, body);
  expect(res.statusCode, res.body).toBe(200);
  expect(await rowCounts(t.runtime.db)).toEqual(before);
  return res.json();
}

/** A stored contact, through the API; returns its id. */
export async function storeContact(t: TestApp, fields: object): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/contacts', headers: t.auth, payload: fields });
  if (res.statusCode >= 300) throw new Error(`contact answered ${res.statusCode}: ${res.body}`);
  return res.json().id as string;
}

/** The ids of the steps' nodes, in order. */
export const path = (result: { steps: { nodeId: string }[] }) => result.steps.map((s) => s.nodeId);
