/**
 * @waymark/sdk/testing — run one node with in-memory services, for a package's own tests.
 *
 * @example
 * import { runNode } from '@waymark/sdk/testing';
 * const { result } = await runNode(myNode, { params: { text: 'hi' } });
 */
export { MemoryContacts, makeContact } from './memory-contacts.js';
export type { GateDecision, RecordedMessage, RecordedRequest } from './memory-services.js';
export {
  type LogLine,
  type RunNodeOptions,
  type RunNodeOutcome,
  runNode,
  type StoredCredential,
} from './run-node.js';
export { type RunPollOptions, type RunWebhookOptions, runPoll, runWebhook } from './run-trigger.js';
