import type { Runtime } from '../runtime.js';

/** What became of inbound mail: every mail lands in exactly one of these, nothing unseen. */
export type InboundOutcomeKind =
  | 'replied'
  | 'auto-replied'
  | 'bounced'
  /** No message of ours matched, or the recipient is not ours (webhook). */
  | 'unmatched'
  /** A delivery report of no failure, or non-report mail to the bounce address. */
  | 'ignored'
  /** Refused: malformed MIME, or a recipient the SMTP listener does not take. */
  | 'rejected';

/** Counters of inbound mail per outcome, for this process. */
export class InboundStats {
  readonly counts: Record<InboundOutcomeKind, number> = {
    replied: 0,
    'auto-replied': 0,
    bounced: 0,
    unmatched: 0,
    ignored: 0,
    rejected: 0,
  };

  add(kind: InboundOutcomeKind): number {
    this.counts[kind] += 1;
    return this.counts[kind];
  }
}

const stats = new WeakMap<Runtime, InboundStats>();

/**
 * The runtime's inbound counters, shared by the webhook route and the SMTP listener.
 *
 * @example
 * inboundStats(runtime).counts.unmatched // 0
 */
export function inboundStats(runtime: Runtime): InboundStats {
  let found = stats.get(runtime);
  if (!found) {
    found = new InboundStats();
    stats.set(runtime, found);
  }
  return found;
}
