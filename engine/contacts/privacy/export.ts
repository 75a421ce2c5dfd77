import { type ContactEvent, NotFoundError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { LEAD_COLUMNS, toApiLead } from '../../leads/service.js';
import { contactMessages } from '../../messages/queries.js';
import { contactRuns } from '../../runs/view/run-view.js';
import { loadContact } from '../load.js';
import { iso, mergeRecords, segmentMemberships, splitAssignments } from './export-held.js';

type Contact = NonNullable<Awaited<ReturnType<typeof loadContact>>>;

/** A bounce or complaint recorded against one of the contact's addresses. */
export interface SuppressionRecord {
  address: string;
  reason: string;
  status: string | null;
  createdAt: string;
  clearedAt: string | null;
}

/** A form submission kept for a double opt-in, with the values the person entered. */
export interface FormSubmissionRecord {
  formId: string;
  formVersion: number;
  email: string;
  values: unknown;
  submittedAt: string;
  confirmedAt: string | null;
}

/**
 * The GDPR export, each part in the shape its own route answers (server/README.md "The GDPR
 * export"), so the person it is about can read it.
 */
export interface ContactExport {
  contact: Contact;
  events: ContactEvent[];
  tags: Contact['tags'];
  lists: Contact['lists'];
  messages: Awaited<ReturnType<typeof contactMessages>>;
  runs: Awaited<ReturnType<typeof contactRuns>>;
  leads: ReturnType<typeof toApiLead>[];
  /** Consents given through forms with their proof, oldest first: `{ channel, status, …proof }`. */
  consents: Record<string, unknown>[];
  suppressions: SuppressionRecord[];
  formSubmissions: FormSubmissionRecord[];
  splitAssignments: Awaited<ReturnType<typeof splitAssignments>>;
  segments: Awaited<ReturnType<typeof segmentMemberships>>;
  merges: Awaited<ReturnType<typeof mergeRecords>>;
}

/**
 * Everything stored about a contact (GDPR access) but its events, which `streamContactExport`
 * reads a page at a time: the contact (computed values, sources, consent, subscriptions and
 * merges included), tags, lists, messages with what they said, runs with their trigger and
 * steps, leads, form consents' proofs, bounce records, form submissions awaiting or past their
 * confirmation, split assignments, segment memberships and the copies merges kept. Each part is
 * oldest first.
 */
export async function exportContactHead(
  db: Kysely<Database>,
  workspaceId: string,
  contactId: string,
): Promise<Omit<ContactExport, 'events'>> {
  const contact = await loadContact(db, workspaceId, contactId);
  if (!contact) throw new NotFoundError(`no contact ${contactId}`);
  const leads = await db
    .selectFrom('leads')
    .select(LEAD_COLUMNS)
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const consents = await sql<{ row: Record<string, unknown> }>`
    select jsonb_build_object('channel', channel, 'status', status) || proof as row
    from consent_proofs where contact_id = ${contactId} order by created_at, id`.execute(db);
  const suppressions = await db
    .selectFrom('email_suppressions')
    .select(['address', 'reason', 'status', 'created_at', 'cleared_at'])
    .where('workspace_id', '=', workspaceId)
    .where((w) =>
      w.or([
        w('contact_id', '=', contactId),
        ...(contact.email ? [w(sql`lower(address)`, '=', contact.email.toLowerCase())] : []),
      ]),
    )
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const submissions = await db
    .selectFrom('form_confirmations')
    .select(['form_id', 'form_version', 'email', 'payload', 'created_at', 'confirmed_at'])
    .where('contact_id', '=', contactId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return {
    contact,
    tags: contact.tags,
    lists: contact.lists,
    messages: await contactMessages(db, workspaceId, contactId),
    runs: await contactRuns(db, workspaceId, contactId),
    leads: leads.map(toApiLead),
    consents: consents.rows.map((r) => r.row),
    suppressions: suppressions.map((s) => ({
      address: s.address,
      reason: s.reason,
      status: s.status,
      createdAt: iso(s.created_at) as string,
      clearedAt: iso(s.cleared_at),
    })),
    formSubmissions: submissions.map((s) => ({
      formId: s.form_id,
      formVersion: s.form_version,
      email: s.email,
      values: (s.payload as { submission?: unknown }).submission ?? null,
      submittedAt: iso(s.created_at) as string,
      confirmedAt: iso(s.confirmed_at),
    })),
    splitAssignments: await splitAssignments(db, workspaceId, contactId),
    segments: await segmentMemberships(db, contactId),
    merges: await mergeRecords(db, workspaceId, contactId),
  };
}
