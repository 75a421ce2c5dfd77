import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { undeliverableJson } from '../inbound/suppression.js';
import { normalizePhone } from './identity/normalize.js';

/** The data quality report (contract identity.md "Data quality"). */
export interface QualityReport {
  contacts: number;
  withoutAddress: number;
  duplicates: { email: GroupCount; phone: GroupCount };
  mixedTypes: { attribute: string; types: Record<string, number> }[];
  suggestedMerges: { contactIds: string[]; reason: 'email' | 'phone'; value: string }[];
  generatedAt: string;
}

interface GroupCount {
  groups: number;
  contacts: number;
}

interface Group {
  value: string;
  ids: string[];
}

const MAX_SUGGESTIONS = 100;

/** Groups of two or more contacts sharing a canonical email, oldest contact first. */
async function emailGroups(db: Kysely<Database>, workspaceId: string): Promise<Group[]> {
  const { rows } = await sql<Group>`
    with p as (
      select c.id, c.created_at, split_part(lower(c.email), '@', 1) as l,
        case split_part(lower(c.email), '@', 2) when 'googlemail.com' then 'gmail.com'
          else split_part(lower(c.email), '@', 2) end as d
      from contacts c where c.workspace_id = ${workspaceId} and c.merged_into is null and c.email is not null
    ), canon as (
      select id, created_at,
        (case when d = 'gmail.com' then replace(split_part(l, '+', 1), '.', '') else split_part(l, '+', 1) end)
          || '@' || d as value
      from p
    )
    select value, array_agg(id order by created_at, id) as ids from canon
    group by value having count(*) >= 2 order by min(created_at), value`.execute(db);
  return rows;
}

/** Groups of two or more contacts whose phone, or string attribute `phone` or `mobile`, is one E.164 number. */
async function phoneGroups(db: Kysely<Database>, workspaceId: string): Promise<Group[]> {
  const { rows } = await sql<{ id: string; numbers: (string | null)[] }>`
    select c.id, array[c.phone,
        case when jsonb_typeof(c.attributes -> 'phone') = 'string' then c.attributes ->> 'phone' end,
        case when jsonb_typeof(c.attributes -> 'mobile') = 'string' then c.attributes ->> 'mobile' end] as numbers
    from contacts c
    where c.workspace_id = ${workspaceId} and c.merged_into is null
      and (c.phone is not null or jsonb_typeof(c.attributes -> 'phone') = 'string'
        or jsonb_typeof(c.attributes -> 'mobile') = 'string')
    order by c.created_at, c.id`.execute(db);
  const byNumber = new Map<string, Set<string>>();
  for (const r of rows)
    for (const text of r.numbers) {
      const number = text ? normalizePhone(text) : null;
      if (!number) continue;
      const ids = byNumber.get(number) ?? new Set<string>();
      ids.add(r.id);
      byNumber.set(number, ids);
    }
  return [...byNumber.entries()].filter(([, ids]) => ids.size >= 2).map(([value, ids]) => ({ value, ids: [...ids] }));
}

const counted = (groups: Group[]): GroupCount => ({
  groups: groups.length,
  contacts: new Set(groups.flatMap((g) => g.ids)).size,
});

/** Counts contacts without a usable address, duplicates, attributes of mixed types, and suggested merges. */
export async function qualityReport(db: Kysely<Database>, workspaceId: string): Promise<QualityReport> {
  const { rows: totals } = await sql<{ contacts: number; without_address: number }>`
    select count(*)::int as contacts,
      count(*) filter (where c.phone is null
        and (c.email is null or ${undeliverableJson(sql`c.email`, sql`c.workspace_id`)} is not null))::int as without_address
    from contacts c where c.workspace_id = ${workspaceId} and c.merged_into is null`.execute(db);
  const { rows: types } = await sql<{ attribute: string; type: string; n: number }>`
    select a.key as attribute, jsonb_typeof(a.value) as type, count(*)::int as n
    from contacts c cross join lateral jsonb_each(c.attributes) a
    where c.workspace_id = ${workspaceId} and c.merged_into is null and jsonb_typeof(a.value) <> 'null'
    group by 1, 2 order by 1, 2`.execute(db);
  const mixedTypes = [...new Set(types.map((t) => t.attribute))]
    .map((attribute) => ({
      attribute,
      types: Object.fromEntries(types.filter((t) => t.attribute === attribute).map((t) => [t.type, t.n])),
    }))
    .filter((m) => Object.keys(m.types).length >= 2);
  const email = await emailGroups(db, workspaceId);
  const phone = await phoneGroups(db, workspaceId);
  return {
    contacts: totals[0]?.contacts ?? 0,
    withoutAddress: totals[0]?.without_address ?? 0,
    duplicates: { email: counted(email), phone: counted(phone) },
    mixedTypes,
    suggestedMerges: [
      ...email.map((g) => ({ contactIds: g.ids, reason: 'email' as const, value: g.value })),
      ...phone.map((g) => ({ contactIds: g.ids, reason: 'phone' as const, value: g.value })),
    ].slice(0, MAX_SUGGESTIONS),
    generatedAt: new Date().toISOString(),
  };
}
