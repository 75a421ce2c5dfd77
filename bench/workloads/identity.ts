import { sql } from 'kysely';
import { refreshDue } from '../../engine/computed/schedule.js';
import { scaled } from '../database.js';
import { auth, type BenchInstance, createInstance } from '../instance.js';
import type { BenchResult } from '../result.js';

/** `contacts` contacts of the default workspace and `events` purchases spread over them and 120 days, set-based. */
async function seed(instance: BenchInstance, contacts: number, events: number): Promise<string[]> {
  const db = instance.runtime.db;
  const { rows } = await sql<{ id: string }>`
    insert into contacts (workspace_id, email)
    select (select id from workspaces where is_default), 'bench-' || i || '@example.com' from generate_series(1, ${contacts}) i
    returning id`.execute(db);
  const ids = rows.map((r) => r.id);
  await sql`
    insert into events (contact_id, name, properties, timestamp)
    select (${ids}::uuid[])[1 + (i % ${ids.length})], 'purchase', jsonb_build_object('total', (i % 500) + 0.5),
      now() - (i % 120) * interval '1 day' - (i % 86400) * interval '1 second'
    from generate_series(1, ${events}) i`.execute(db);
  await sql`analyze events`.execute(db);
  return ids;
}

/** The set-based refresh of three computed attributes over 1M events: seconds (goal < 30 s). */
export async function computedRefresh(): Promise<BenchResult[]> {
  const events = scaled(1_000_000);
  const contacts = scaled(100_000);
  const instance = await createInstance();
  try {
    await seed(instance, contacts, events);
    const put = (name: string, definition: object) =>
      instance.app.inject({
        method: 'PUT',
        url: `/api/computed-attributes/${name}`,
        headers: auth,
        payload: { definition },
      });
    await put('lifetimeValue', { kind: 'aggregate', fn: 'sum', event: 'purchase', property: 'total', within: 'P90D' });
    await put('purchases', { kind: 'aggregate', fn: 'count', event: 'purchase' });
    await put('idleDays', { kind: 'daysSince', event: 'purchase' });
    const started = performance.now();
    await refreshDue(instance.runtime.db);
    const seconds = (performance.now() - started) / 1000;
    return [
      {
        workload: 'computed attributes: full refresh, 3 attributes',
        metric: 'duration',
        value: Math.round(seconds * 10) / 10,
        unit: 's',
        notes: `${events} events over ${contacts} contacts; goal < 30 s`,
      },
    ];
  } finally {
    await instance.close();
  }
}

/** A merge of two contacts holding 10k events each, through the API: milliseconds (goal < 1 s). */
export async function mergeWithManyEvents(): Promise<BenchResult[]> {
  const each = scaled(10_000);
  const instance = await createInstance();
  try {
    const [keep, gone] = await seed(instance, 2, each * 2);
    const started = performance.now();
    const res = await instance.app.inject({
      method: 'POST',
      url: `/api/contacts/${keep}/merge`,
      headers: auth,
      payload: { from: gone },
    });
    const ms = performance.now() - started;
    if (res.statusCode !== 200) throw new Error(`merge: ${res.statusCode} ${res.body.slice(0, 200)}`);
    return [
      {
        workload: 'merge: two contacts',
        metric: 'duration',
        value: Math.round(ms),
        unit: 'ms',
        notes: `${each} events each; goal < 1000 ms`,
      },
    ];
  } finally {
    await instance.close();
  }
}
