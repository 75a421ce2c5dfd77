import {
  type AnyNodeDefinition,
  type JsonObject,
  type JsonValue,
  TriggerRefusal,
  type TriggerRequest,
  WaymarkError,
} from '@waymark/sdk';
import type { Runtime } from '../../runtime.js';
import type { KeyedStart } from '../webhook/keyed-starts.js';
import { type TriggerPlace, triggerContext } from './context.js';
import { TriggerFailedError } from './errors.js';
import { contactProblem, identityOfContact, isPayload } from './starts.js';

/** A package webhook trigger's answer, checked: the runs to start and the HTTP answer it chose. */
export interface HandledCall {
  /** The runs it asked for, checked. */
  starts: KeyedStart[];
  response: { status?: number; body?: JsonValue } | null;
}

const KEY_MAX = 255;

/** Why `value` is not `{ starts: [...], response? }`, or null. */
function resultProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { starts?: unknown }).starts))
    return 'it did not answer { starts: [...] }';
  const { starts, response } = value as { starts: unknown[]; response?: unknown };
  for (const [i, start] of starts.entries()) {
    const s = start as { payload?: unknown; contact?: unknown; idempotencyKey?: unknown } | null;
    if (!s || !isPayload(s.payload)) return `starts[${i}].payload is not a JSON object`;
    const contact = contactProblem(s.contact);
    if (contact) return `starts[${i}].${contact}`;
    if (
      s.idempotencyKey !== undefined &&
      (typeof s.idempotencyKey !== 'string' || !s.idempotencyKey || s.idempotencyKey.length > KEY_MAX)
    )
      return `starts[${i}].idempotencyKey is not a text of 1 to ${KEY_MAX} characters`;
  }
  if (response !== undefined) {
    const status = (response as { status?: unknown } | null)?.status;
    if (typeof response !== 'object' || response === null) return 'response is not an object';
    if (status !== undefined && !(Number.isInteger(status) && (status as number) >= 200 && (status as number) <= 299))
      return 'response.status is not a success status (200-299)';
  }
  return null;
}

/**
 * Calls a package trigger's `webhook.handle` for one request (in the package's thread for an
 * installed package) and checks its answer. A `TriggerRefusal` is thrown as it is (its status
 * answers the call); anything else that goes wrong is `TriggerFailedError` naming the trigger.
 * `fallbackKey` (the request's `Idempotency-Key`) keys a start that names no key of its own:
 * as it is for a lone start, with `#<index>` after it among several.
 */
export async function handleWebhookTrigger(
  runtime: Runtime,
  place: TriggerPlace,
  definition: AnyNodeDefinition,
  request: TriggerRequest,
  fallbackKey: string | null,
): Promise<HandledCall> {
  const what = `${place.node.type}@${place.node.version} webhook.handle`;
  const handle = definition.webhook?.handle;
  if (!handle) throw new TriggerFailedError(`${what} is not defined`);
  const { ctx, secrets } = triggerContext(runtime, place, definition);
  let value: unknown;
  try {
    value = await (handle as (request: TriggerRequest, ctx: unknown) => unknown)(request, ctx);
  } catch (error) {
    if (error instanceof TriggerRefusal) throw new TriggerRefusal(error.status, secrets.text(error.message));
    if (error instanceof TriggerFailedError) throw new TriggerFailedError(secrets.text(error.message));
    const message = error instanceof Error ? error.message : String(error);
    const code = error instanceof WaymarkError ? ` (${error.code})` : '';
    throw new TriggerFailedError(secrets.text(`${what} failed${code}: ${message}`));
  }
  const problem = resultProblem(value);
  if (problem) throw new TriggerFailedError(`${what} answered what is not a trigger's answer: ${problem}`);
  // What it answers is stored (payloads) or sent back: no secret it read stays in it.
  const { starts, response } = secrets.value(value) as {
    starts: { payload: JsonObject; contact?: Record<string, string>; idempotencyKey?: string }[];
    response?: { status?: number; body?: JsonValue };
  };
  return {
    starts: starts.map((start, i) => ({
      payload: start.payload,
      identity: identityOfContact(start.contact),
      idempotencyKey:
        start.idempotencyKey ??
        (fallbackKey === null ? null : starts.length === 1 ? fallbackKey : `${fallbackKey}#${i}`),
    })),
    response: response ?? null,
  };
}
