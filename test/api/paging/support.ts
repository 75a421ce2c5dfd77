import { sql } from 'kysely';
import { expect } from 'vitest';
import { n, publish } from '../../engine/support.js';
import type { TestApp } from '../../support/runtime.js';

/** A paged list of the API: its URL, the key its rows are under, and its contract's limits. */
export interface PagedList {
  url: string;
  rows: 'contacts' | 'events' | 'messages' | 'runs' | 'entries' | 'leads';
  max: number;
  byDefault: number;
}

/**
 * Every list the API pages with `limit` and `cursor` (API.md, contracts/teams.md "Audit log";
 * leads: server/README.md "Paged lists").
 */
export const LISTS: PagedList[] = [
  { url: '/api/contacts', rows: 'contacts', max: 1000, byDefault: 50 },
  { url: '/api/events', rows: 'events', max: 1000, byDefault: 100 },
  { url: '/api/messages', rows: 'messages', max: 1000, byDefault: 100 },
  { url: '/api/runs', rows: 'runs', max: 1000, byDefault: 100 },
  { url: '/api/audit', rows: 'entries', max: 1000, byDefault: 100 },
  { url: '/api/leads', rows: 'leads', max: 1000, byDefault: 1000 },
];

/** The lists ordered by a time (then id): where rows can share a time or be a microsecond apart. */
export const TIMED = LISTS.filter((l) => ['events', 'messages', 'runs', 'leads'].includes(l.rows));

export const withQuery = (url: string, query: string) => `${url}${url.includes('?') ? '&' : '?'}${query}`;

/** What a client sees of one page. */
export interface Page {
  ids: string[];
  nextCursor: string | null;
}

export async function getPage(t: TestApp, list: PagedList, url: string): Promise<Page> {
  const res = await t.app.inject({ url, headers: t.auth });
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json() as Record<string, unknown> & { nextCursor: string | null };
  return { ids: (body[list.rows] as { id: string }[]).map((r) => r.id), nextCursor: body.nextCursor };
}

/** Every page of `url`, `limit` rows a page, following nextCursor to the end. */
export async function walk(t: TestApp, list: PagedList, url: string, limit: number): Promise<Page[]> {
  const pages: Page[] = [];
  let cursor: string | null = null;
  do {
    const page = await getPage(t, list, withQuery(url, `limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`));
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor && pages.length < 1000);
  return pages;
}

/** Seeds `count` rows into every list, each timed list's rows at one shared time. */
export async function seedEveryList(t: TestApp, count: number, at = '2026-01-01T00:00:00Z'): Promise<void> {
  const db = t.runtime.db;
  const workspace = sql`(select id from workspaces where is_default)`;
  await sql`insert into contacts (workspace_id, email)
    select ${workspace}, 'paged-' || i || '@example.com' from generate_series(1, ${count}) i`.execute(db);
  const contact = sql`(select id from contacts where email = 'paged-1@example.com')`;
  await sql`insert into events (workspace_id, contact_id, name, timestamp)
    select ${workspace}, ${contact}, 'paged', ${at}::timestamptz from generate_series(1, ${count})`.execute(db);
  await sql`insert into messages (workspace_id, contact_id, channel, category, "to", status, created_at)
    select ${workspace}, ${contact}, 'email', 'marketing', 'paged-1@example.com', 'sent', ${at}::timestamptz
    from generate_series(1, ${count})`.execute(db);
  const journey = await publish(db, { nodes: [n('t', 'tst.trigger')], edges: [] });
  await sql`insert into runs (journey_id, version, contact_id, trigger, trigger_node_id, status, started_at, ended_at)
    select ${journey.journeyId}, ${journey.version}, null, '{}', 't', 'completed', ${at}::timestamptz, ${at}::timestamptz
    from generate_series(1, ${count})`.execute(db);
  await sql`insert into audit_log (workspace_id, actor, action, object_type, object_id)
    select ${workspace}, '{"type":"system","id":null,"name":"seed"}', 'contact.seeded', 'contact', null
    from generate_series(1, ${count})`.execute(db);
  await sql`insert into leads (workspace_id, title, contact_id, owner, created_at)
    select ${workspace}, 'Lead ' || i, ${contact}, 'sales@example.com', ${at}::timestamptz
    from generate_series(1, ${count}) i`.execute(db);
}

/**
 * Rows of the timed lists a microsecond apart, all inside one millisecond, under a filter of
 * their own (`?name=`, `?contactId=`, `?journeyId=`): the query string that lists them, by list.
 */
export async function seedMicrosecondsApart(t: TestApp, count: number): Promise<Record<string, string>> {
  const db = t.runtime.db;
  const workspace = sql`(select id from workspaces where is_default)`;
  const at = sql`timestamptz '2026-02-01T00:00:00.000100Z' + i * interval '1 microsecond'`;
  const contactId = (
    await sql<{ id: string }>`insert into contacts (workspace_id, email)
      values (${workspace}, 'microseconds@example.com') returning id`.execute(db)
  ).rows[0]?.id as string;
  await sql`insert into events (workspace_id, contact_id, name, timestamp)
    select ${workspace}, ${contactId}, 'spread', ${at} from generate_series(1, ${count}) i`.execute(db);
  await sql`insert into messages (workspace_id, contact_id, channel, category, "to", status, created_at)
    select ${workspace}, ${contactId}, 'email', 'marketing', 'microseconds@example.com', 'sent', ${at}
    from generate_series(1, ${count}) i`.execute(db);
  const journey = await publish(db, { nodes: [n('t', 'tst.trigger')], edges: [] });
  await sql`insert into runs (journey_id, version, contact_id, trigger, trigger_node_id, status, started_at, ended_at)
    select ${journey.journeyId}, ${journey.version}, null, '{}', 't', 'completed', ${at}, ${at}
    from generate_series(1, ${count}) i`.execute(db);
  await sql`insert into leads (workspace_id, title, contact_id, owner, created_at)
    select ${workspace}, 'Lead ' || i, ${contactId}, 'sales@example.com', ${at}
    from generate_series(1, ${count}) i`.execute(db);
  return {
    '/api/leads': `contactId=${contactId}`,
    '/api/events': 'name=spread',
    '/api/messages': `contactId=${contactId}`,
    '/api/runs': `journeyId=${journey.journeyId}`,
  };
}

/** The 400 a client gets for one bad query parameter. */
export async function refused(
  t: TestApp,
  url: string,
): Promise<{ code: string; details: { path: string; message: string }[] }> {
  const res = await t.app.inject({ url, headers: t.auth });
  expect(res.statusCode, res.body).toBe(400);
  return res.json().error;
}
