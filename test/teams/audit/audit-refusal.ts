import { sql } from 'kysely';
import { expect } from 'vitest';
import type { TestApp } from '../../support/runtime.js';

/**
 * Runs `fn` while the audit table refuses every insert (a trigger raising an error), as a
 * failed or lost audit write would: teams.md writes the entry in the change's transaction, so
 * whatever `fn` asks must then fail whole.
 */
export async function whileAuditRefused<T>(t: TestApp, fn: () => Promise<T>): Promise<T> {
  const { db } = t.runtime;
  await sql`create or replace function fixaudit_refuse() returns trigger language plpgsql as $$
    begin raise exception 'the audit log refuses this entry'; end $$`.execute(db);
  await sql`create trigger fixaudit_refuse before insert on audit_log
    for each row execute function fixaudit_refuse()`.execute(db);
  try {
    return await fn();
  } finally {
    await sql`drop trigger fixaudit_refuse on audit_log`.execute(db);
  }
}

/** The answer of a change whose audit entry could not be written: a server error. */
export function expectRefused(res: { statusCode: number; body: string }): void {
  expect(res.statusCode, res.body).toBe(500);
}

/** How many entries the workspace's log holds for an object (every action). */
export async function entriesOf(t: TestApp, objectId: string, headers: Record<string, string> = t.auth) {
  const res = await t.app.inject({ method: 'GET', url: `/api/audit?object=${objectId}`, headers });
  return (res.json() as { entries: { action: string; details?: unknown }[] }).entries;
}

/** `app.inject` as `headers` (default the admin token): `call('PUT', url, body)`. */
export const caller =
  (t: TestApp) =>
  (method: string, url: string, payload?: object, headers: Record<string, string> = t.auth) =>
    t.app.inject({ method: method as 'GET', url, headers, ...(payload ? { payload } : {}) });
