import type { JsonObject } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { refreshContacts } from '../../computed/refresh.js';
import type { Database } from '../../db/database.js';
import { identityHolders, identityValuesOf } from './holders.js';
import { IDENTITY_FIELDS, type IdentityField, type NormalizedInput } from './normalize.js';

/** A lost race with a concurrent writer: the upsert looks again. */
export class RetryBatch extends Error {}

/** A contact as the upsert sees and changes it. */
export interface Entity {
  id: string;
  existing: boolean;
  touched: boolean;
  externalId: string | null;
  email: string | null;
  phone: string | null;
  timezone: string | null;
  attributes: JsonObject;
  sources: JsonObject;
}

interface StoredRow {
  id: string;
  merged_into: string | null;
  email: string | null;
  phone: string | null;
  external_id: string | null;
  timezone: string | null;
  attributes: JsonObject;
  attribute_sources: JsonObject;
}

/** The contacts an upsert's rows name, locked, and how their identity values find them. */
export interface LockedContacts {
  entities: Entity[];
  /** Contacts by id, a merged-away one's naming its survivor: what a row's contactId means. */
  byId: Map<string, Entity>;
  /** Each identity value's contact (a merged-away contact's values name its survivor). */
  index: Record<IdentityField, Map<string, Entity>>;
  /** Indexes a contact's identity values. */
  remember(e: Entity): void;
}

/**
 * Locks (in id order) every contact holding an identity value or an id the rows name, and the
 * survivors of those merged away, and indexes them by identity value.
 */
export async function lockedContacts(
  trx: Kysely<Database>,
  workspaceId: string,
  rows: readonly NormalizedInput[],
): Promise<LockedContacts> {
  const namedIds = rows.flatMap((row) => (row.contactId ? [row.contactId] : []));
  const stored = (
    await sql<StoredRow>`
      select id, merged_into, email, phone, external_id, timezone, attributes, attribute_sources from contacts
      where id in ${identityHolders(workspaceId, { ...identityValuesOf(rows), contactIds: namedIds })}
      order by id for update`.execute(trx)
  ).rows;
  // A merged-away contact's identity values name its survivor (contract identity.md).
  const survivors = [...new Set(stored.map((s) => s.merged_into).filter((id): id is string => Boolean(id)))].filter(
    (id) => !stored.some((s) => s.id === id),
  );
  if (survivors.length)
    stored.push(
      ...(
        await sql<StoredRow>`
          select id, merged_into, email, phone, external_id, timezone, attributes, attribute_sources from contacts
          where workspace_id = ${workspaceId} and id = any(${survivors}::uuid[]) order by id for update`.execute(trx)
      ).rows,
    );

  const index: LockedContacts['index'] = {
    externalId: new Map(),
    email: new Map(),
    phone: new Map(),
  };
  const byId = new Map<string, Entity>();
  const entities: Entity[] = [];
  const remember = (e: Entity) => {
    for (const f of IDENTITY_FIELDS) if (e[f]) index[f].set(e[f], e);
  };
  for (const s of stored) {
    if (s.merged_into) continue;
    const e: Entity = {
      id: s.id,
      existing: true,
      touched: false,
      externalId: s.external_id,
      email: s.email,
      phone: s.phone,
      timezone: s.timezone,
      attributes: s.attributes,
      sources: s.attribute_sources,
    };
    entities.push(e);
    byId.set(e.id, e);
    remember(e);
  }
  for (const s of stored) {
    const survivor = s.merged_into ? entities.find((e) => e.id === s.merged_into) : undefined;
    if (!survivor) continue;
    byId.set(s.id, survivor);
    for (const [f, v] of [
      ['externalId', s.external_id],
      ['email', s.email],
      ['phone', s.phone],
    ] as const)
      if (v && !index[f].has(v)) index[f].set(v, survivor);
  }

  return { entities, byId, index, remember };
}

/**
 * Writes the upsert's contacts: the new ones in one INSERT (one a concurrent writer created
 * first: `RetryBatch`), the changed ones in one UPDATE, and refreshes their computed attributes.
 */
export async function writeContacts(
  trx: Kysely<Database>,
  workspaceId: string,
  entities: readonly Entity[],
): Promise<void> {
  const record = (e: Entity) => ({
    id: e.id,
    email: e.email,
    phone: e.phone,
    external_id: e.externalId,
    timezone: e.timezone,
    attributes: e.attributes,
    attribute_sources: e.sources,
  });
  const inserts = entities.filter((e) => !e.existing).map(record);
  if (inserts.length) {
    const inserted = await sql<{ id: string }>`
      insert into contacts (workspace_id, id, email, phone, external_id, timezone, attributes, attribute_sources)
      select ${workspaceId}::uuid, id, email, phone, external_id, timezone, attributes, attribute_sources
      from jsonb_to_recordset(${JSON.stringify(inserts)}::jsonb)
        as v(id uuid, email text, phone text, external_id text, timezone text, attributes jsonb, attribute_sources jsonb)
      on conflict do nothing
      returning id`.execute(trx);
    if (inserted.rows.length < inserts.length)
      throw new RetryBatch('a concurrent writer created one of these contacts');
  }
  const updates = entities.filter((e) => e.existing && e.touched).map(record);
  if (updates.length) {
    await sql`
      update contacts c set email = v.email, phone = v.phone, external_id = v.external_id,
        timezone = v.timezone, attributes = v.attributes, attribute_sources = v.attribute_sources, updated_at = now()
      from jsonb_to_recordset(${JSON.stringify(updates)}::jsonb)
        as v(id uuid, email text, phone text, external_id text, timezone text, attributes jsonb, attribute_sources jsonb)
      where c.id = v.id and c.workspace_id = ${workspaceId}`.execute(trx);
  }
  // Computed attributes reading the changed contacts are current when the call answers.
  await refreshContacts(
    trx,
    workspaceId,
    [...inserts, ...updates].map((e) => e.id),
  );
}
