import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { createMessagesService } from '../../engine/messages/service.js';
import type { Runtime } from '../../engine/runtime.js';
import type { StepScope } from '../../engine/services/step-scope.js';
import { defaultWorkspaceId } from '../../server/teams/accounts/users.js';

/**
 * A step scope as the engine would build it, with its own idempotency key unless given one,
 * in the default workspace unless given another.
 */
export async function stepScope(runtime: Runtime, fields: Partial<StepScope> = {}): Promise<StepScope> {
  const now = new Date();
  return {
    runtime,
    db: runtime.db,
    runId: randomUUID(),
    workspaceId: await defaultWorkspaceId(runtime.db),
    journeyId: randomUUID(),
    version: 1,
    nodeId: 'n1',
    contactId: null,
    source: 'journey',
    idempotencyKey: randomUUID(),
    now: () => now,
    ...fields,
  };
}

/** Stores a contact and returns its id. */
export async function insertContact(
  runtime: Runtime,
  fields: { email?: string; phone?: string; timezone?: string; consent?: object } = {},
): Promise<string> {
  const consent = fields.consent ?? { email: { status: 'unknown' }, sms: { status: 'unknown' } };
  const { rows } = await sql<{ id: string }>`
    insert into contacts (workspace_id, email, phone, timezone, consent)
    values ((select id from workspaces where is_default), ${fields.email ?? null}, ${fields.phone ?? null}, ${fields.timezone ?? null}, ${JSON.stringify(consent)}::jsonb)
    returning id`.execute(runtime.db);
  return rows[0]?.id as string;
}

/** The properties of a contact's events of one name, oldest first. */
export async function eventsOf(runtime: Runtime, contactId: string, name: string) {
  return runtime.db
    .selectFrom('events')
    .select('properties')
    .where('contact_id', '=', contactId)
    .where('name', '=', name)
    .orderBy('timestamp')
    .execute();
}

/** A transactional email ("Hi") to a contact through a sending credential, as a step sends it. */
export async function mailThrough(runtime: Runtime, contactId: string, credential: string) {
  return createMessagesService(await stepScope(runtime, { contactId })).send({
    channel: 'email',
    category: 'transactional',
    from: 'News <news@example.com>',
    subject: 'Hi',
    html: '<p>Hi</p>',
    credential,
  });
}

/**
 * Sends a marketing email with one tracked link to a new contact; answers the paths of its
 * click, open and unsubscribe links (under a PUBLIC_URL of `https://w.example.com`).
 */
export async function sendMarketingEmail(runtime: Runtime) {
  const contactId = await insertContact(runtime, { email: `${randomUUID()}@example.com` });
  const { messageId } = await createMessagesService(await stepScope(runtime, { contactId, nodeId: 'mail1' })).send({
    channel: 'email',
    category: 'marketing',
    subject: 'Hi',
    html: '<p><a data-waymark-key="a" href="https://shop.example.com/a">A</a></p>',
  });
  const row = await runtime.db
    .selectFrom('messages')
    .select(['html', 'headers'])
    .where('id', '=', messageId)
    .executeTakeFirstOrThrow();
  const html = row.html ?? '';
  return {
    contactId,
    messageId,
    click: String(/href="https:\/\/w\.example\.com(\/t\/c\/[^"]+)"/.exec(html)?.[1]),
    open: String(/src="https:\/\/w\.example\.com(\/t\/o\/[^"]+)"/.exec(html)?.[1]),
    unsubscribe: String(row.headers['List-Unsubscribe']).replace(/^<https:\/\/w\.example\.com|>$/g, ''),
  };
}
