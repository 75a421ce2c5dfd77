import { ValidationError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { loadSetting, saveSetting } from '../../db/settings.js';
import type { WithinChange } from '../../db/transaction.js';
import { identityHolders, identityValuesOf } from '../identity/holders.js';
import type { NormalizedInput } from '../identity/normalize.js';
import { lockContacts } from '../lock.js';
import { mergeContacts } from './merge.js';

type Field = 'externalId' | 'email' | 'phone';
const FIELDS: readonly Field[] = ['externalId', 'email', 'phone'];
const COLUMNS: Record<Field, 'external_id' | 'email' | 'phone'> = {
  externalId: 'external_id',
  email: 'email',
  phone: 'phone',
};

/** When identities naming two contacts merge them (`GET/PUT /api/settings/identity`). */
export interface IdentitySettings {
  autoMerge: boolean;
  autoMergeOn: Field[];
}

export const DEFAULT_IDENTITY: IdentitySettings = { autoMerge: true, autoMergeOn: ['externalId', 'email', 'phone'] };
const KEY = 'identity';

export const identitySettingsSchema = {
  type: 'object',
  properties: {
    autoMerge: { type: 'boolean' },
    autoMergeOn: { type: 'array', items: { enum: [...FIELDS] }, uniqueItems: true },
  },
  required: ['autoMerge', 'autoMergeOn'],
  additionalProperties: false,
} as const;

export async function loadIdentitySettings(db: Kysely<Database>, workspaceId: string): Promise<IdentitySettings> {
  return (await loadSetting<IdentitySettings>(db, workspaceId, KEY)) ?? DEFAULT_IDENTITY;
}

export async function saveIdentitySettings(
  db: Kysely<Database>,
  workspaceId: string,
  value: IdentitySettings,
  onSaved?: WithinChange,
): Promise<IdentitySettings> {
  if (new Set(value.autoMergeOn).size !== value.autoMergeOn.length)
    throw new ValidationError('autoMergeOn names a field twice', [{ path: '/autoMergeOn', message: 'repeated field' }]);
  return saveSetting(db, workspaceId, KEY, value, onSaved);
}

interface Holder {
  id: string;
  merged_into: string | null;
  email: string | null;
  phone: string | null;
  external_id: string | null;
}

/**
 * Before an upsert: merges, row by row, the contacts that a row's identity values name when
 * they are different contacts and the settings allow it (`allowed` false forbids, as a journey
 * may). The survivor is the contact the `externalId` names, else the `email`, else the `phone`.
 * Answers the number of merges per row; rows it may not merge are left to the upsert, which
 * refuses them naming the field.
 */
export async function mergeNamedContacts(
  trx: Kysely<Database>,
  workspaceId: string,
  rows: readonly NormalizedInput[],
  allowed: boolean,
): Promise<number[]> {
  const counts = rows.map(() => 0);
  const found = async () =>
    (
      await sql<Holder>`
        select id, merged_into, email, phone, external_id from contacts
        where id in ${identityHolders(workspaceId, identityValuesOf(rows))}`.execute(trx)
    ).rows;
  let holders = await found();
  // The usual case: no two contacts are named by one row. One query and done.
  const named = (row: NormalizedInput, list: Holder[]) =>
    FIELDS.flatMap((f) => {
      const v = row[f];
      if (!v) return [];
      const hits = list.filter((h) => h[COLUMNS[f]] === v);
      // A live holder's value is its own; a merged-away one's names its survivor.
      const live = hits.find((h) => !h.merged_into);
      const id = live?.id ?? hits[0]?.merged_into;
      return id ? [{ field: f, id }] : [];
    });
  if (rows.every((row) => new Set(named(row, holders).map((n) => n.id)).size <= 1)) return counts;
  // Another call may be merging these very contacts at this instant: what a row names is read
  // again under the locks merges take, so a merge done meanwhile is found done and its
  // survivor taken, rather than merged a second time (which a merge refuses).
  const namedUnderLock = async (row: NormalizedInput) => {
    const locked = new Set<string>();
    for (;;) {
      holders = await found();
      const names = named(row, holders);
      const unlocked = names.map((n) => n.id).filter((id) => !locked.has(id));
      if (!unlocked.length) return names;
      await lockContacts(trx, unlocked);
      for (const id of unlocked) locked.add(id);
    }
  };
  const settings = await loadIdentitySettings(trx, workspaceId);
  // What a row names, split into the survivor and the others; none when it may not merge them.
  const mergesOf = (names: ReturnType<typeof named>) => {
    const survivor = names[0]?.id;
    const others = names.filter((n) => n.id !== survivor);
    const may = allowed && settings.autoMerge && others.every((o) => settings.autoMergeOn.includes(o.field));
    return survivor && others.length && may ? { survivor, others } : undefined;
  };
  for (const [i, row] of rows.entries()) {
    if (!mergesOf(named(row, holders))) continue;
    const merges = mergesOf(await namedUnderLock(row));
    if (!merges) continue;
    const { survivor, others } = merges;
    for (const id of new Set(others.map((o) => o.id))) {
      await mergeContacts(trx, workspaceId, survivor, id, { automatic: true });
      counts[i] = (counts[i] ?? 0) + 1;
    }
    holders = await found();
  }
  return counts;
}
