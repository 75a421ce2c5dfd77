import { type ErrorDetail, NotFoundError, ValidationError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { isUuid } from '../../db/ids.js';
import { inTransaction } from '../../db/transaction.js';
import { holdContact } from '../lock.js';
import { survivorOf } from '../merge/survivor.js';
import { identityHolders, identityValuesOf } from './holders.js';
import { normalizeInput } from './normalize.js';
import { type UpsertOptions, upsertContacts } from './upsert.js';

/**
 * The identity fields a webhook payload or an event may carry; a webhook payload's `timezone`
 * too, no identity but stored on the contact it names, as `POST /api/contacts` stores it
 * (null clears it there, so here too).
 */
export interface ContactIdentity {
  contactId?: string;
  email?: string;
  phone?: string;
  externalId?: string;
  timezone?: string | null;
}

/** An identity in stored form: an explicit contact id, or normalised email, E.164 phone, external id. */
export interface NormalizedIdentity {
  contactId?: string;
  email?: string;
  phone?: string;
  externalId?: string;
  /** The IANA time zone to store on the contact, when given; null clears the stored one. */
  timezone?: string | null;
}

/** A payload's or an event's blank identity field (a form left empty, a CRM's "") names no one. */
const named = <T>(value: T): T | undefined => (typeof value === 'string' && value.trim() === '' ? undefined : value);

/**
 * The identity in stored form; null when it names no one. Every field given is checked, also
 * beside a `contactId`, and a `timezone` when the identity names someone (an anonymous
 * payload's `timezone` is just data): throws ValidationError naming the bad field (`/email`,
 * `/phone`, `/timezone`, `/contactId` when it is not a UUID).
 */
export function normalizeIdentity(identity: ContactIdentity): NormalizedIdentity | null {
  const errors: ErrorDetail[] = [];
  let contactId: string | undefined;
  if (identity.contactId !== undefined && identity.contactId !== null) {
    contactId = String(identity.contactId);
    if (!isUuid(contactId)) errors.push({ path: '/contactId', message: 'must be a contact id (a UUID)' });
  }
  const fields = {
    email: named(identity.email),
    phone: named(identity.phone),
    // null names no one, as a blank does (String(null) was the external id "null").
    externalId:
      identity.externalId === undefined || identity.externalId === null
        ? undefined
        : named(String(identity.externalId)),
  };
  const someone = contactId !== undefined || Object.values(fields).some((v) => v !== undefined && v !== null);
  // A blank time zone is left out, as a blank identity field is; null clears the stored one,
  // as it does in `POST /api/contacts` (timezone is data of the contact, not an identity).
  const normalized = normalizeInput({ ...fields, timezone: someone ? named(identity.timezone) : undefined });
  errors.push(...normalized.errors);
  if (errors.length) {
    const says = (e: ErrorDetail) =>
      e.path === '/contactId' ? `contactId ${JSON.stringify(contactId)} is not a contact's id` : e.message;
    throw new ValidationError(errors.map(says).join('; '), errors);
  }
  const { email, phone, externalId, timezone } = normalized.value;
  if (!contactId && !email && !phone && !externalId) return null;
  return { contactId, email, phone, externalId, timezone };
}

/**
 * The contact an identity names, created when new (as `POST /api/contacts` does); null
 * when the identity names no one (no field set). Concurrent bindings of one new identity
 * create one contact. A `contactId` names its contact (or survivor) first; email, phone or
 * externalId beside it are matched and stored as the upsert does for a row matched by
 * externalId; a `timezone` is stored as the upsert stores it. Throws ValidationError naming
 * the bad field (`/email`, `/phone`, `/timezone`), or the field naming another contact than
 * the rest (nothing is written then, no automatic merge either), and NotFoundError for an
 * unknown `contactId`.
 */
export async function bindContact(
  db: Kysely<Database>,
  workspaceId: string,
  identity: ContactIdentity,
  options: UpsertOptions = {},
): Promise<string | null> {
  const value = normalizeIdentity(identity);
  if (!value) return null;
  let contactId: string | undefined;
  if (value.contactId !== undefined) {
    const survivor = await survivorOf(db, workspaceId, value.contactId);
    if (!survivor) throw new NotFoundError(`no contact ${value.contactId}`);
    if (!value.email && !value.phone && !value.externalId && value.timezone === undefined) return survivor.id;
    contactId = survivor.id;
  }
  // Fast path: a known contact whose identity already holds every given field needs no write.
  // Looked up through the identity indexes (`identityHolders`): ORing the fields read every
  // contact of the workspace, 1.3 ms an event at 10,000 contacts and growing with them.
  const { rows: known } = await sql<{
    id: string;
    email: string | null;
    phone: string | null;
    external_id: string | null;
    timezone: string | null;
    merged_into: string | null;
  }>`
    select id, email, phone, external_id, timezone, merged_into from contacts
    where id in ${identityHolders(workspaceId, identityValuesOf([value]))}`.execute(db);
  const same = (stored: string | null, given: string | null | undefined) => given === undefined || stored === given;
  if (known.length === 1 && known[0]) {
    const k = known[0];
    const holder = k.merged_into ?? k.id;
    if (
      (contactId === undefined || holder === contactId) &&
      same(k.external_id, value.externalId) &&
      same(k.email, value.email) &&
      same(k.phone, value.phone) &&
      // A merged-away holder's time zone is not its survivor's: the upsert looks.
      same(k.merged_into ? null : k.timezone, value.timezone)
    )
      return holder;
  }
  // A refused identity leaves nothing behind, not even the automatic merges made on its way.
  return inTransaction(db, async (trx) => {
    const [outcome] = await upsertContacts(trx, workspaceId, [{ ...value, contactId }], options);
    if (outcome?.ok) return outcome.contactId;
    const message = outcome?.error ?? 'the identity was rejected';
    throw new ValidationError(message, [{ path: `/${outcome?.field ?? ''}`, message }]);
  });
}

/** Bindings tried when each finds its contact erased meanwhile: the next finds the erase committed. */
const HOLD_ATTEMPTS = 3;

/**
 * `bindContact`, with the contact held until `trx` ends (`holdContact`): a run or a row `trx`
 * then writes for it is the erase's to see, never left on an erased contact. A contact erased
 * between its binding and its hold is bound anew: a new contact for an address, 404 for an id.
 */
export async function bindHeldContact(
  trx: Kysely<Database>,
  workspaceId: string,
  identity: ContactIdentity,
  options: UpsertOptions = {},
): Promise<string | null> {
  for (let attempt = 1; ; attempt++) {
    const contactId = await bindContact(trx, workspaceId, identity, options);
    if (contactId === null || (await holdContact(trx, contactId))) return contactId;
    if (attempt >= HOLD_ATTEMPTS) throw new NotFoundError(`no contact ${contactId}: it was erased meanwhile`);
  }
}
