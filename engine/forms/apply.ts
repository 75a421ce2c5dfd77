import { type JsonObject, ValidationError } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import { normalizeInput } from '../contacts/identity/normalize.js';
import { upsertContacts } from '../contacts/identity/upsert.js';
import { loadContact } from '../contacts/load.js';
import { setConsent } from '../contacts/privacy/consent.js';
import { addTag, addToList } from '../contacts/tags.js';
import type { Database } from '../db/database.js';
import { type RunTally, recordEvent } from '../events/record.js';
import type { FormDefinition, FormField } from './definition.js';
import { contactInput, formPath, writesNestedAttributes } from './values.js';

/** What a submission applies, kept aside while a double opt-in awaits its click. */
export interface Submission {
  /** The form's workspace: the submitter becomes (or is) a contact there. */
  workspaceId: string;
  formId: string;
  formVersion: number;
  form: Pick<FormDefinition, 'fields' | 'lists' | 'tags' | 'consentText'>;
  values: JsonObject;
}

/**
 * Who sent a submission: anyone (`stranger`), or the email's owner, who clicked the double
 * opt-in link (`email-owner`).
 */
export type Submitter = 'stranger' | 'email-owner';

/**
 * The contact of a submission's email, created or updated as `POST /api/contacts` does, its
 * attributes written under the source `form`. Nobody proved the phone or externalId typed, so
 * they never choose the contact nor change who a contact is (`UpsertOptions.submitter`). Its
 * problems (an invalid phone …) name the form fields mapped there.
 */
export async function upsertSubmitter(
  trx: Kysely<Database>,
  workspaceId: string,
  input: Parameters<typeof normalizeInput>[0],
  fields: readonly FormField[],
  submitter: Submitter,
) {
  const { value, errors } = normalizeInput(input);
  if (errors.length)
    throw new ValidationError(
      'the submission is invalid',
      errors.map((e) => ({ ...e, ...(e.path !== undefined ? { path: formPath(fields, e.path) } : {}) })),
    );
  // Its own source, so precedence lists can rank what people type into forms (identity.md).
  const [outcome] = await upsertContacts(trx, workspaceId, [value], { source: 'form', submitter });
  if (!outcome?.ok)
    throw new ValidationError(
      outcome?.error ?? 'the submission is invalid',
      outcome?.field ? [{ path: formPath(fields, `/${outcome.field}`), message: outcome.error }] : [],
    );
  return outcome.contactId;
}

/**
 * Applies a submission in the caller's transaction: the contact upserted by its mapped
 * fields (each mapped attribute set at its path, the rest kept), the form's lists and tags
 * added, email consent `subscribed` with `proof` when given, and `form.submitted` recorded
 * (starting the journeys it triggers). Returns the contact's id; the runs its events started
 * are added to `tally`.
 */
export async function applySubmission(
  trx: Kysely<Database>,
  submission: Submission,
  proof: JsonObject | null,
  tally: RunTally,
  submitter: Submitter,
) {
  const { workspaceId, formId, formVersion, form, values } = submission;
  let input = contactInput(form, values);
  if (writesNestedAttributes(input)) {
    // The contact is found (and locked, till the transaction ends) first, so that a value at a
    // nested path is merged into what it holds there now.
    const found = await upsertSubmitter(trx, workspaceId, { ...input, attributes: {} }, form.fields, submitter);
    input = contactInput(form, values, (await loadContact(trx, workspaceId, found))?.attributes ?? {});
  }
  const contactId = await upsertSubmitter(trx, workspaceId, input, form.fields, submitter);
  for (const list of form.lists) await addToList(trx, contactId, list);
  for (const tag of form.tags) await addTag(trx, contactId, tag);
  if (proof)
    await setConsent(
      trx,
      contactId,
      { channel: 'email', status: 'subscribed', source: `form:${formId}`, proof },
      tally,
    );
  await recordEvent(trx, { contactId, name: 'form.submitted', properties: { formId, formVersion, values } }, tally);
  return contactId;
}
