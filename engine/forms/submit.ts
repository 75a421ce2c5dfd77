import { type JsonObject, ValidationError } from '@waymark/sdk';
import { sql } from 'kysely';
import { loadContact } from '../contacts/load.js';
import { setConsent } from '../contacts/privacy/consent.js';
import { countTriggerSteps, newTally } from '../events/record.js';
import type { Runtime } from '../runtime.js';
import { applySubmission, type Submission, upsertSubmitter } from './apply.js';
import { sendConfirmationMail } from './confirmation-mail.js';
import type { Form } from './store.js';
import { confirmationToken } from './tokens.js';
import { readSubmission } from './values.js';

/** Where a submission came from: what the proof keeps. */
export interface Visitor {
  ip: string;
  userAgent: string | null;
}

/**
 * Takes a valid submission (else ValidationError, `path` `/<field name>`). Without double
 * opt-in it is applied at once, in one transaction. With it, the contact is created if new
 * (email only), its email consent set `pending` unless `subscribed`, the values and proof kept
 * aside and the confirmation mail sent; a repeat for the same address and form within 10
 * minutes of its last confirmation mail the mail server took (or one under way) does nothing.
 */
export async function submitForm(
  runtime: Runtime,
  workspaceId: string,
  form: Form,
  body: Record<string, unknown>,
  visitor: Visitor,
) {
  const { values, errors } = readSubmission(form, body);
  if (errors.length) throw new ValidationError('the submission is invalid', errors);
  const submission: Submission = {
    workspaceId,
    formId: form.id,
    formVersion: form.version,
    form: { fields: form.fields, lists: form.lists, tags: form.tags, consentText: form.consentText },
    values,
  };
  // The runtime's clock stamps the submission and its confirmation's start, which the
  // confirmation's 7 days run from (confirm.ts).
  const now = runtime.clock.now();
  const proof: JsonObject = {
    formId: form.id,
    formVersion: form.version,
    text: form.consentText,
    submittedAt: now.toISOString(),
    ip: visitor.ip,
    userAgent: visitor.userAgent,
    confirmedAt: null,
    confirmIp: null,
    confirmUserAgent: null,
  };
  const { db } = runtime;
  const tally = newTally();
  // Its transactions hold one of the process's ingest slots (`Runtime.ingestSlots`); the
  // confirmation mail, sent after, holds none.
  if (!form.doubleOptIn) {
    await runtime.ingestSlots(() =>
      db.transaction().execute(async (trx) => {
        const contactId = await applySubmission(trx, submission, form.consentText ? proof : null, tally, 'stranger');
        if (form.consentText)
          await trx
            .insertInto('consent_proofs')
            .values({ contact_id: contactId, channel: 'email', status: 'subscribed', proof: JSON.stringify(proof) })
            .execute();
      }),
    );
    countTriggerSteps(runtime.metrics, tally);
    return;
  }
  const emailField = form.fields.find((f) => f.mapTo === 'email');
  const email = String(values[emailField?.name ?? ''] ?? '');
  const pending = await runtime.ingestSlots(() =>
    db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${`form:${form.id}:${email}`}))`.execute(trx);
      const recent = await sql<{ id: string }>`
      select id from form_confirmations
      where form_id = ${form.id} and email = ${email} and mailed_at > now() - interval '10 minutes' limit 1`.execute(
        trx,
      );
      if (recent.rows.length) return null;
      const contactId = await upsertSubmitter(trx, workspaceId, { email }, form.fields, 'stranger');
      const contact = await loadContact(trx, workspaceId, contactId);
      if (contact?.consent.email.status !== 'subscribed')
        await setConsent(
          trx,
          contactId,
          { channel: 'email', status: 'pending', source: `form:${form.id}`, proof },
          tally,
        );
      const kept = await trx
        .insertInto('consent_proofs')
        .values({ contact_id: contactId, channel: 'email', status: 'pending', proof: JSON.stringify(proof) })
        .returning('id')
        .executeTakeFirstOrThrow();
      const row = await trx
        .insertInto('form_confirmations')
        .values({
          form_id: form.id,
          form_version: form.version,
          contact_id: contactId,
          email,
          payload: JSON.stringify({ submission, proof }),
          proof_id: kept.id,
          created_at: sql`${now}`,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { id: row.id, contactId };
    }),
  );
  countTriggerSteps(runtime.metrics, tally);
  if (!pending) return;
  const contact = await loadContact(db, workspaceId, pending.contactId);
  if (!contact) return;
  try {
    await sendConfirmationMail(runtime, workspaceId, {
      contact,
      form,
      submission: values,
      confirmUrl: `${runtime.config.publicUrl}/f/confirm/${confirmationToken(runtime.keys, pending.id)}`,
    });
  } catch (error) {
    runtime.logger.error({ err: error, formId: form.id }, 'the confirmation mail was not sent');
    // Only a mail handed over holds back a repeat (content.md: "of its last confirmation mail").
    await db.updateTable('form_confirmations').set({ mailed_at: null }).where('id', '=', pending.id).execute();
  }
}
