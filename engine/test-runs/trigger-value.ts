import { randomUUID } from 'node:crypto';
import { type Contact, type ContactEvent, type JsonObject, ValidationError } from '@waymark/sdk';
import { EVENT_TRIGGER } from '../runs/event-candidates.js';
import { eventValue, safeMatches } from '../runs/event-effects.js';
import type { CompiledVersion } from '../runs/versions.js';
import { TICK_TRIGGERS, type TriggerNode, tickTrigger } from '../segments/entry.js';

/** What a test run starts from: the trigger its run sees, and the event that started it, if one did. */
export interface TestTrigger {
  trigger: JsonObject;
  event: ContactEvent | null;
}

/**
 * The trigger a real run of `triggerNodeId` would see for `payload`. A `core.event` trigger's
 * payload is the event's properties: the run sees the stored event (`eventValue`), the walk's
 * contact has it among its events, and a payload the trigger's filter turns away is refused,
 * since no run would start. A segment, schedule or date trigger's run sees what its tick
 * would give it (`scheduledAt` the walk's start). Any other trigger's payload is its trigger as given.
 *
 * @example
 * testTrigger(version, 'signup', { plan: 'pro' }, contact, at).trigger
 * // → { id, name: 'signed_up', properties: { plan: 'pro' }, timestamp: at.toISOString() }
 */
export function testTrigger(
  version: CompiledVersion,
  triggerNodeId: string,
  payload: JsonObject,
  contact: Contact | null,
  at: Date,
): TestTrigger {
  const node = version.nodes.get(triggerNodeId);
  // A segment, schedule or date run sees what its tick gives it; the payload only names the contact.
  if (node && TICK_TRIGGERS.has(node.type))
    return {
      trigger: tickTrigger({ type: node.type as TriggerNode['type'], nodeId: node.id, params: node.params }, at),
      event: null,
    };
  if (node?.type !== EVENT_TRIGGER) return { trigger: payload, event: null };
  const params = node.params as { event: string; filter?: unknown };
  const event: ContactEvent = {
    id: randomUUID(),
    contactId: contact?.id ?? '',
    name: params.event,
    properties: payload,
    timestamp: at.toISOString(),
  };
  if (!safeMatches(params.filter, event, contact))
    throw new ValidationError('the request body is invalid', [
      {
        path: '/trigger',
        message: `body/trigger: these properties do not match the filter of trigger "${triggerNodeId}", so no run would start`,
      },
    ]);
  return { trigger: eventValue(event), event };
}
