import { type RawBuilder, sql } from 'kysely';
import type { NormalizedIdentity } from './bind.js';

type IdentityFields = Pick<NormalizedIdentity, 'externalId' | 'email' | 'phone'>;

/** Identity values to look contacts up by. */
export interface IdentityValues {
  externalIds: readonly string[];
  emails: readonly string[];
  phones: readonly string[];
  /** Contacts named by id (an upsert's rows naming their contact), looked up with the rest. */
  contactIds?: readonly string[];
}

/**
 * A subquery: the ids of the workspace's contacts, live or merged away, holding any of the
 * values. One lookup per field and state, because the identity indexes are partial (unique
 * among live contacts, the merged ones apart: migration 0024) and PostgreSQL uses a partial
 * index only for a query that states its condition, and one index per equality: a lookup
 * that left `merged_into` unstated, or ORed the fields, read every contact of the workspace
 * (with stale statistics, even through an index), so an upsert or a webhook grew slower with
 * every contact stored.
 *
 * @example
 * await sql`select id from contacts where id in ${identityHolders(workspaceId, { externalIds, emails, phones })}`.execute(db);
 */
export function identityHolders(workspace: string | RawBuilder<string>, values: IdentityValues): RawBuilder<string> {
  const fields = [
    [sql.ref('external_id'), values.externalIds],
    [sql.ref('email'), values.emails],
    [sql.ref('phone'), values.phones],
  ] as const;
  const lookups = fields
    .filter(([, list]) => list.length > 0)
    .flatMap(([field, list]) =>
      [sql`merged_into is null`, sql`merged_into is not null`].map(
        (state) =>
          sql`select id from contacts where workspace_id = ${workspace}::uuid and ${state} and ${field} = any(${[...list]}::text[])`,
      ),
    );
  if (values.contactIds?.length)
    lookups.push(
      sql`select id from contacts where workspace_id = ${workspace}::uuid and id = any(${[...values.contactIds]}::uuid[])`,
    );
  if (lookups.length === 0) return sql<string>`(select null::uuid where false)`;
  return sql<string>`(${sql.join(lookups, sql` union all `)})`;
}

/** The identity values the given identities name (null: an anonymous call), each once. */
export function identityValuesOf(identities: readonly (IdentityFields | null)[]): IdentityValues {
  const of = (pick: (identity: IdentityFields) => string | undefined) => [
    ...new Set(identities.flatMap((identity) => (identity && pick(identity) ? [pick(identity) as string] : []))),
  ];
  return { externalIds: of((i) => i.externalId), emails: of((i) => i.email), phones: of((i) => i.phone) };
}
