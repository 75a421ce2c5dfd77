/**
 * The shape of `GET /api/journeys/:id/analytics` apart from the query that sums it: no
 * runtime imports, so the editor reads the same type (type-only) without the engine's
 * database code.
 */
import type { JourneyGoal } from '../graph/types.js';

export type Bucket = 'hour' | 'day';

/** What a message node counts; `failed` is a total only (a failed send is no series). */
export type MessageMetric = 'sent' | 'failed' | 'opened' | 'clicked' | 'replied' | 'bounced' | 'unsubscribed';
/** A node's counts that have a series per bucket (`waiting` is a current figure only). */
export type NodeSeriesMetric = 'entered' | 'completed' | 'failed' | 'converted';

/** A node's totals over the range, and the runs waiting at it now. */
export type NodeTotals = Record<NodeSeriesMetric | 'waiting', number>;
/** A message node's totals; `suppressed` by reason. */
export type MessageTotals = Record<MessageMetric, number> & { suppressed: Record<string, number> };

export interface JourneyAnalytics {
  journeyId: string;
  /** The version asked for; null: every version together. */
  version: number | null;
  bucket: Bucket;
  from: string;
  to: string;
  goal: JourneyGoal | null;
  runs: { started: number; converted: number };
  /** Keyed by node id. */
  nodes: Record<string, NodeTotals>;
  /** Keyed by node id, then output key. */
  outputs: Record<string, Record<string, { taken: number; converted: number }>>;
  messages: Record<string, MessageTotals>;
  /** One figure per bucket, each series as long as `buckets`. */
  series: {
    buckets: string[];
    runs: { started: number[]; converted: number[] };
    nodes: Record<string, Record<NodeSeriesMetric, number[]>>;
    messages: Record<string, Record<Exclude<MessageMetric, 'failed'> | 'suppressed', number[]>>;
  };
}
