import { createHash } from 'node:crypto';
import {
  type CredentialDefinition,
  type CredentialEvents,
  type JsonObject,
  NotFoundError,
  type ProviderAnswer,
  type ProviderEvent,
  type ProviderRequest,
  ValidationError,
  WaymarkError,
} from '@waymark/sdk';
import { decryptJson } from '../credentials/crypto.js';
import { createHttpClient } from '../http/client.js';
import type { Runtime } from '../runtime.js';
import { type ProviderTally, recordProviderEvents } from './provider-events.js';

/** A provider webhook that no credential of its provider verifies: HTTP 401. */
export class UnverifiedWebhookError extends WaymarkError {
  constructor(provider: string) {
    super('unauthorized', `no ${provider} credential verifies this request (signature, or webhook login)`);
  }
}

/**
 * PostgreSQL text cannot hold NUL (`\u0000` is valid JSON and form data): an event carrying
 * one in a field that would be stored is no event of the provider's format, refused whole
 * before anything is written.
 */
function refuseNul(events: readonly (ProviderEvent | null)[]): void {
  const details = events.flatMap((event, i) =>
    Object.entries(event ?? {})
      .filter(([, value]) => typeof value === 'string' && value.includes('\u0000'))
      .map(([field]) => ({ message: `event ${i}: ${field} holds a NUL character` })),
  );
  if (details.length) throw new ValidationError(`the body holds NUL characters: ${details[0]?.message}`, details);
}

/**
 * Claims each event's nonce (a value the provider signs where it does not sign the event, such
 * as Mailgun's token) for that event: the first request to bring a nonce binds it to its event
 * id, for good. A nonce already bound to another event means its signature was lifted onto an
 * event it never signed: the answer is false, and the request is refused as unverified before
 * anything is stored. The same event again under its nonce (the provider's retry) passes, and
 * is counted a duplicate.
 */
async function claimNonces(runtime: Runtime, provider: string, events: readonly ProviderEvent[]): Promise<boolean> {
  for (const event of events) {
    if (typeof event.nonce !== 'string' || event.nonce === '') continue;
    // Kept as a digest: a key of bounded size, whatever the provider's nonce is.
    const nonce = createHash('sha256').update(event.nonce).digest('hex');
    await runtime.db
      .insertInto('provider_webhook_nonces')
      .values({ provider, nonce, event_id: event.id })
      .onConflict((oc) => oc.columns(['provider', 'nonce']).doNothing())
      .execute();
    const bound = await runtime.db
      .selectFrom('provider_webhook_nonces')
      .select('event_id')
      .where('provider', '=', provider)
      .where('nonce', '=', nonce)
      .executeTakeFirst();
    if (bound?.event_id !== event.id) return false;
  }
  return true;
}

/** What a provider webhook is answered: the counts, or the body the provider expects instead. */
export type ProviderWebhookAnswer = { tally: ProviderTally; answer: ProviderAnswer | null };

/**
 * Runs a request's verification (its answer null when it fails). The server holds it to the
 * address's failed-authentication limit (`app.checkHookSecret`); by default it just runs.
 */
export type VerifyGuard = <T>(verify: () => Promise<T | null>) => Promise<T | null>;

type CredentialRow = { workspace_id: string; type: string; data_encrypted: string };
type Verified = { verifiedIn: string[]; confirmWith: { events: CredentialEvents; data: JsonObject } };

/**
 * The workspaces of the credentials (`rows`, of the provider's `types`) that verify `request`,
 * and the first of them (it confirms a subscription); null when none does.
 */
async function verifiedBy(
  runtime: Runtime,
  types: readonly CredentialDefinition[],
  request: ProviderRequest,
  rows: readonly CredentialRow[],
  ctx: { http: ReturnType<typeof createHttpClient> },
): Promise<Verified | null> {
  const verifiedIn: string[] = [];
  let confirmWith: Verified['confirmWith'] | null = null;
  for (const row of rows) {
    let data: JsonObject;
    try {
      data = decryptJson(runtime.keys.credentials, row.data_encrypted);
    } catch {
      continue;
    }
    const events = types.find((t) => t.type === row.type)?.events;
    if (!verifiedIn.includes(row.workspace_id) && events && (await events.verify(request, data, ctx))) {
      verifiedIn.push(row.workspace_id);
      confirmWith ??= { events, data };
    }
  }
  return confirmWith && { verifiedIn, confirmWith };
}

/**
 * `POST /hooks/providers/<provider>`: reads the body in the provider's format (400 when it is
 * not), checks it against each credential of the provider's types (401 when none verifies it;
 * one without its verification fields verifies nothing; that check runs under `guard`), then
 * stores its events in the workspaces of the credentials that verified it, and asks the
 * provider's `answer` what to answer (Twilio's TwiML for an incoming message), else the counts.
 */
export async function takeProviderWebhook(
  runtime: Runtime,
  provider: string,
  request: ProviderRequest,
  guard: VerifyGuard = (verify) => verify(),
): Promise<ProviderWebhookAnswer> {
  const types = runtime.registry.eventCredentials(provider);
  const reader = types[0]?.events;
  if (!reader) throw new NotFoundError(`no provider ${provider}`);
  const parsed = await reader.parse(request);
  refuseNul(parsed);
  const rows = await runtime.db
    .selectFrom('credentials')
    .select(['workspace_id', 'type', 'data_encrypted'])
    .where(
      'type',
      'in',
      types.map((t) => t.type),
    )
    .orderBy('created_at')
    .execute();
  // Only the workspaces of credentials that verify the request have messages it may touch.
  const ctx = { http: createHttpClient({ runtime }) };
  const events = parsed.filter((e) => e !== null);
  const verified = await guard(async () => {
    const found = await verifiedBy(runtime, types, request, rows, ctx);
    return found && (await claimNonces(runtime, provider, events)) ? found : null;
  });
  if (!verified) throw new UnverifiedWebhookError(provider);
  const { verifiedIn, confirmWith } = verified;
  // One handshake per request (an SNS subscription is confirmed once, whoever verified it).
  await confirmWith.events.handshake?.(request, confirmWith.data, ctx);
  // Verified (which may fetch a signing certificate) before it takes one of the ingest slots.
  const tally = await runtime.ingestSlots(() =>
    recordProviderEvents(runtime.db, verifiedIn, provider, events, parsed.length - events.length, runtime.metrics),
  );
  return { tally, answer: (await reader.answer?.(request)) ?? null };
}
