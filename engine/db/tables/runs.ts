import type { ColumnType, Generated } from 'kysely';
import type { RunFailure, RunStatus } from '../../runs/view/types.js';
import type { Json, Timestamp } from './foundation.js';

export type { RunFailure, RunStatus };

export type StepStatus = 'pending' | 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';

/** One contact (or anonymous payload) travelling one journey version. */
export interface RunsTable {
  /** The workspace it belongs to (set from its owner when not given). */
  workspace_id: Generated<string>;
  id: Generated<string>;
  journey_id: string;
  version: number;
  contact_id: string | null;
  status: Generated<RunStatus>;
  outcome: string | null;
  trigger: Json<Record<string, unknown>>;
  trigger_node_id: string;
  open_steps: Generated<number>;
  waiting_steps: Generated<number>;
  reentry_lock: string | null;
  started_at: Generated<Timestamp>;
  ended_at: Timestamp | null;
  /** While the run is failed: where and why (the writer sets it, a retry clears it). */
  failure: Json<RunFailure> | null;
  /** `traceparent`/`tracestate` of the span that started the run (tracing on). */
  trace_context: Generated<Json<Record<string, string>> | null>;
}

/** One node executed for one token; created by the step before it, so a crash re-run is one row. */
export interface StepsTable {
  id: Generated<string>;
  seq: ColumnType<number, never, never>;
  run_id: string;
  journey_id: string;
  version: number;
  node_id: string;
  parent_step_id: string | null;
  status: Generated<StepStatus>;
  output: Json<unknown> | null;
  error: Json<{ message: string; code?: string; attempts?: number; retryable?: boolean }> | null;
  /** A retried step's: the failed step's key, so its node's call is recognised (null: the step's id). */
  idempotency_key: string | null;
  attempts: Generated<number>;
  outputs_taken: string[] | null;
  resume: Json<unknown> | null;
  /** When the step last parked: the due time it waits until (a retried run's token keeps it). */
  wake_at: Timestamp | null;
  /** Parked as held (a send waiting for its turn under a rate): not counted as waiting (0059). */
  held: Generated<boolean>;
  created_at: Generated<Timestamp>;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
}

/** A token parked until an event arrives for the contact, or its deadline. */
export interface WaitsTable {
  id: Generated<string>;
  step_id: string;
  run_id: string;
  journey_id: string;
  contact_id: string;
  event_name: string;
  filter: Json<unknown> | null;
  deadline: Timestamp;
  created_at: Generated<Timestamp>;
}

/** The first answer to a webhook call with an `Idempotency-Key`, kept 24 h. */
export interface WebhookKeysTable {
  journey_id: string;
  node_id: string;
  key: string;
  status_code: number | null;
  response: Json<unknown> | null;
  created_at: Generated<Timestamp>;
  /** The contact the call named (null: anonymous, or stored before migration 0085). */
  contact_id: string | null;
}

/** The current fixed window of a journey's webhook rate limit (unlogged: shared by every process). */
export interface WebhookRateWindowsTable {
  journey_id: string;
  window_start: Timestamp;
  hits: number;
}

/** Per-node analytics, sharded so that busy nodes do not serialise on one row. */
export interface NodeCountersTable {
  journey_id: string;
  version: number;
  node_id: string;
  output: string;
  shard: number;
  entered: Generated<number>;
  completed: Generated<number>;
  failed: Generated<number>;
  waiting: Generated<number>;
  taken: Generated<number>;
}

/** A bulk retry: the runs it was given, how far it got. */
export interface RetryJobsTable {
  id: Generated<string>;
  /** The journey's workspace. */
  workspace_id: string;
  journey_id: string;
  status: Generated<'running' | 'completed' | 'cancelled'>;
  filter: Json<Record<string, unknown>>;
  run_ids: string[];
  cursor: Generated<number>;
  retried: Generated<number>;
  skipped: Generated<number>;
  retried_ids: Generated<string[]>;
  created_at: Generated<Timestamp>;
  finished_at: Timestamp | null;
}

/** Entries a journey turned away by one reason (`entry-cap`, `reentry`), sharded. */
export interface JourneyEntrySkipsTable {
  journey_id: string;
  workspace_id: string;
  reason: 'entry-cap' | 'reentry';
  shard: number;
  skipped: Generated<number>;
}

/** When a journey's latest entries were let in, for its entry rate (oldest first). */
export interface JourneyEntrySlotsTable {
  journey_id: string;
  workspace_id: string;
  recent: Generated<Timestamp[]>;
}

export interface RunTables {
  journey_entry_skips: JourneyEntrySkipsTable;
  journey_entry_slots: JourneyEntrySlotsTable;
  retry_jobs: RetryJobsTable;
  runs: RunsTable;
  steps: StepsTable;
  waits: WaitsTable;
  webhook_keys: WebhookKeysTable;
  webhook_rate_windows: WebhookRateWindowsTable;
  node_counters: NodeCountersTable;
}
