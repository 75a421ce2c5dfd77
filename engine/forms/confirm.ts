import type { JsonObject } from '@waymark/sdk';
import { countTriggerSteps, newTally, recordEvent } from '../events/record.js';
import type { Runtime } from '../runtime.js';
import { applySubmission, type Submission } from './apply.js';
import type { Visitor } from './submit.js';
import { confirmationOf } from './tokens.js';

const VALID_MS = 7 * 24 * 3600 * 1000;

/**
 * A double opt-in's click: in one transaction the kept values are applied, email consent
 * becomes `subscribed` with the click in its proof, and `form.submitted` then
 * `consent.confirmed` are recorded. A second click changes nothing. False for an unknown,
 * altered or expired token (or a contact erased since).
 */
export async function confirmSubscription(runtime: Runtime, token: string, visitor: Visitor): Promise<boolean> {
  const id = confirmationOf(runtime.keys, token);
  if (!id) return false;
  const tally = newTally();
  // Under one of the process's ingest slots (`Runtime.ingestSlots`), as every entry that records events.
  const confirmed = await runtime.ingestSlots(() =>
    runtime.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('form_confirmations')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      // The runtime's clock, as the submission that made the row read it (`created_at`).
      const now = runtime.clock.now();
      if (!row || now.getTime() - new Date(row.created_at as unknown as Date).getTime() > VALID_MS) return false;
      if (row.confirmed_at) return true;
      const kept = row.payload as unknown as { submission: Omit<Submission, 'workspaceId'>; proof: JsonObject };
      // The pending contact's workspace is the form's (kept before submissions named it).
      const contact = await trx
        .selectFrom('contacts')
        .select('workspace_id')
        .where('id', '=', row.contact_id)
        .executeTakeFirst();
      if (!contact) return false;
      const submission: Submission = { ...kept.submission, workspaceId: contact.workspace_id };
      const { proof } = kept;
      const confirmed: JsonObject = {
        ...proof,
        confirmedAt: now.toISOString(),
        confirmIp: visitor.ip,
        confirmUserAgent: visitor.userAgent,
      };
      // The click proves the email alone: an empty phone or externalId may be filled, none replaced.
      const contactId = await applySubmission(trx, submission, confirmed, tally, 'email-owner');
      await trx
        .updateTable('consent_proofs')
        .set({ status: 'subscribed', proof: JSON.stringify(confirmed) })
        .where('id', '=', row.proof_id)
        .execute();
      const { formId, formVersion } = submission;
      await recordEvent(
        trx,
        {
          contactId,
          name: 'consent.confirmed',
          properties: { formId, formVersion, channel: 'email' },
        },
        tally,
      );
      await trx.updateTable('form_confirmations').set({ confirmed_at: now }).where('id', '=', id).execute();
      return true;
    }),
  );
  countTriggerSteps(runtime.metrics, tally);
  return confirmed;
}
