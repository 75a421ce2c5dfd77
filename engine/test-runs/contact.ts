import { createHash } from 'node:crypto';
import { type Contact, type JsonObject, NotFoundError, ValidationError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { type NormalizedInput, normalizeInput } from '../contacts/identity/normalize.js';
import { loadContact } from '../contacts/load.js';
import { contactIdFor } from '../contacts/merge/survivor.js';
import type { Database } from '../db/database.js';
import type { InlineContact, TestRunRequest } from './types.js';

/** A UUID derived from a seed, so the same inline contact lands in the same split variant each time. */
function seededId(seed: string): string {
  const h = createHash('sha256').update(`waymark-test-contact:${seed}`).digest('hex');
  const variant = ((Number.parseInt(h[16] ?? '0', 16) & 3) | 8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function normalized(fields: InlineContact, pointer: string): NormalizedInput {
  const { value, errors } = normalizeInput(fields);
  if (errors.length) {
    const details = errors.map((e) => ({ path: `${pointer}${e.path ?? ''}`, message: `${pointer}: ${e.message}` }));
    throw new ValidationError('the test contact is invalid', details);
  }
  return value;
}

/** A contact made of inline fields: never stored, and seen by nodes like a stored one. */
export function inlineContact(fields: InlineContact, pointer: string, at: Date): Contact {
  const value = normalized(fields, pointer);
  const when = at.toISOString();
  const identity = { email: value.email, phone: value.phone, externalId: value.externalId };
  const hasIdentity = Object.values(identity).some(Boolean);
  return {
    id: seededId(JSON.stringify(hasIdentity ? identity : fields)),
    email: value.email ?? null,
    phone: value.phone ?? null,
    externalId: value.externalId ?? null,
    timezone: value.timezone ?? null,
    attributes: value.attributes ?? {},
    consent: {
      email: { status: fields.consent?.email ?? 'unknown' },
      sms: { status: fields.consent?.sms ?? 'unknown' },
    },
    subscriptions: {},
    tags: [...new Set(fields.tags ?? [])].map((tag) => ({
      tag,
      count: 1,
      firstAddedAt: when,
      lastAddedAt: when,
      expiresAt: null,
      active: true,
    })),
    lists: [...new Set(fields.lists ?? [])].map((list) => ({ list, addedAt: when })),
    createdAt: when,
    updatedAt: when,
  };
}

/** The stored contact an id names: a merged-away id walks as its survivor, as a real run binds it. */
async function storedContact(db: Kysely<Database>, workspaceId: string, id: string): Promise<Contact> {
  const contact = await loadContact(db, workspaceId, await contactIdFor(db, workspaceId, id));
  if (!contact) throw new NotFoundError(`no contact ${id}`);
  return contact;
}

/** The stored contact an identity names, matched as an upsert would (externalId, email, phone). */
async function findByIdentity(
  db: Kysely<Database>,
  workspaceId: string,
  identity: NormalizedInput,
): Promise<Contact | null> {
  const keys = [
    ['external_id', identity.externalId],
    ['email', identity.email],
    ['phone', identity.phone],
  ] as const;
  for (const [column, value] of keys) {
    if (!value) continue;
    // A merged-away holder's values name its survivor (identity.md), as the webhook binds them.
    const row = await db
      .selectFrom('contacts')
      .select(sql<string>`coalesce(merged_into, id)`.as('id'))
      .where('workspace_id', '=', workspaceId)
      .where(column, '=', value)
      .executeTakeFirst();
    if (row) return loadContact(db, workspaceId, row.id);
  }
  return null;
}

const text = (value: unknown) => (value === undefined || value === null ? undefined : String(value));

/**
 * The contact without `contact` in the request: the one the trigger payload names, as a
 * webhook would bind it, but read only; an identity not stored yet becomes an inline contact.
 * Without `readsStored` (no `contacts:read`) the identity always makes an inline contact.
 * The payload's `timezone` is the contact's, as the webhook would store it (a blank one names
 * nothing, null clears it; a bad one is 400 at `/trigger/timezone`, as the webhook answers).
 */
async function contactOfTrigger(
  db: Kysely<Database>,
  workspaceId: string,
  trigger: JsonObject,
  at: Date,
  readsStored: boolean,
): Promise<Contact | null> {
  const timezone = trigger.timezone === null ? null : text(trigger.timezone)?.trim() || undefined;
  const zone = timezone === undefined ? undefined : normalized({ timezone }, '/trigger').timezone;
  const withZone = (contact: Contact | null) =>
    contact && zone !== undefined ? { ...contact, timezone: zone } : contact;
  if (trigger.contactId !== undefined && trigger.contactId !== null)
    return withZone(await storedContact(db, workspaceId, String(trigger.contactId)));
  const fields: InlineContact = {
    email: text(trigger.email),
    phone: text(trigger.phone),
    externalId: text(trigger.externalId),
  };
  const identity = normalized(fields, '/trigger');
  if (!identity.email && !identity.phone && !identity.externalId) return null;
  const stored = readsStored ? await findByIdentity(db, workspaceId, identity) : null;
  return withZone(stored) ?? inlineContact({ ...fields, timezone: zone }, '/trigger', at);
}

/**
 * The contact a test run walks with: a stored one by id (read, never written), one typed
 * inline, the one the trigger payload names, or none (an anonymous walk). Bad fields are
 * 400 naming their JSON pointer; an unknown id is 404.
 *
 * @example
 * await resolveTestContact(db, workspaceId, { contact: { email: 'ann@x.io', timezone: 'Europe/Helsinki' } }, new Date())
 */
export async function resolveTestContact(
  db: Kysely<Database>,
  workspaceId: string,
  request: Pick<TestRunRequest, 'contact' | 'trigger'>,
  at: Date,
  readsStored = true,
): Promise<Contact | null> {
  const given = request.contact;
  if (!given) return contactOfTrigger(db, workspaceId, request.trigger ?? {}, at, readsStored);
  if ('id' in given && typeof given.id === 'string') {
    if (Object.keys(given).length > 1) {
      throw new ValidationError('the test contact is invalid', [
        { path: '/contact', message: '/contact takes either an id or contact fields, not both' },
      ]);
    }
    return storedContact(db, workspaceId, given.id);
  }
  return inlineContact(given as InlineContact, '/contact', at);
}
