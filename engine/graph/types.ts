import { DURATION_MAX_SECONDS, eventNameSchema, type JsonObject } from '@waymark/sdk';

/** A node on the canvas: shaped like @xyflow/svelte's so the editor needs no translation. */
export interface GraphNode {
  id: string;
  type: string;
  version: number;
  params: JsonObject;
  position: { x: number; y: number };
  /** How the node's failures are handled (action nodes but `core.exit`; API.md "Node settings"). */
  settings?: NodeSettings;
}

/** What a step that failed for good does: end the run, go on along the first output, or take `error`. */
export type OnError = 'fail' | 'continue' | 'output';

/** A node's failure handling: `retry` durations are ISO 8601 (`PT5S`). */
export interface NodeSettings {
  onError?: OnError;
  retry?: { attempts?: number; backoff?: string; maxBackoff?: string };
}

export interface GraphEdge {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
}

/** A journey's graph, stored as plain JSON in drafts and versions. */
export interface JourneyGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export type Reentry = 'always' | 'once' | 'once-at-a-time';

export interface JourneySettings {
  reentry: Reentry;
  exitOn: string[];
  /** At most `max` webhook calls per `window`; null (a PATCH removing it) or absent: no limit. */
  webhookRateLimit?: { max: number; window: string } | null;
  /** The journey's conversion goal (contracts/experiments.md); null or absent: none. */
  goal?: JourneyGoal | null;
  /** False forbids automatic contact merges for the journey's webhook calls (contract identity.md); default true. */
  autoMerge?: boolean;
  /** At most this many runs ever enter (all versions); null or absent: no cap. */
  maxEntries?: number | null;
  /** At most `count` runs enter in any `perSeconds` seconds; later ones wait their turn. */
  entryRate?: FlowRate | null;
  /** At most `count` of the journey's messages go out in any `perSeconds` seconds. */
  sendRate?: FlowRate | null;
}

/** A rate of a journey's flow control: `count` in any sliding window of `perSeconds` seconds. */
export interface FlowRate {
  count: number;
  perSeconds: number;
}

/** A contact converts when it records `event` (matching `filter`) within `windowSeconds` of entering. */
export interface JourneyGoal {
  event: string;
  filter?: unknown;
  windowSeconds: number;
  exitOnGoal?: boolean;
}

export const DEFAULT_SETTINGS: JourneySettings = { reentry: 'always', exitOn: [] };

/** JSON Schema of a graph as the API takes it (a draft may still be invalid as a journey). */
export const graphSchema = {
  type: 'object',
  properties: {
    nodes: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string', minLength: 1 },
          type: { type: 'string', minLength: 1 },
          version: { type: 'integer', minimum: 1 },
          params: { type: 'object' },
          position: {
            type: 'object',
            properties: { x: { type: 'number' }, y: { type: 'number' } },
            required: ['x', 'y'],
          },
          // Any JSON, stored as given: checked whole by validate and publish (engine/graph/rules/settings.ts),
          // which name a draft's half-typed or non-object settings at /settings (failures.md).
          settings: {},
        },
        required: ['id', 'type', 'version'],
      },
    },
    edges: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string', minLength: 1 },
          source: { type: 'string', minLength: 1 },
          sourceHandle: { type: 'string', minLength: 1 },
          target: { type: 'string', minLength: 1 },
        },
        required: ['id', 'source', 'sourceHandle', 'target'],
      },
    },
  },
  required: ['nodes', 'edges'],
} as const;

// Runs are counted as a PostgreSQL integer (`count(*)::int`): a count past it caps nothing,
// and one past a bigint failed every entry with a 500.
const INT4_MAX = 2_147_483_647;

/** A flow rate whose window is at most `maxSeconds`. */
const flowRateSchema = (maxSeconds: number) =>
  ({
    type: ['object', 'null'],
    properties: {
      count: { type: 'integer', minimum: 1, maximum: INT4_MAX },
      perSeconds: { type: 'integer', minimum: 1, maximum: maxSeconds },
    },
    required: ['count', 'perSeconds'],
    additionalProperties: false,
  }) as const;

// An entry's turn is a time: a window past the longest duration (1,000 years) gave a time no
// Date holds, and the rate let every entry in at once (or answered 500).
const entryRateSchema = flowRateSchema(DURATION_MAX_SECONDS);
// A send's window is taken in integer milliseconds (`waymark_take_rate_slots`): past them every
// send of the journey failed with 'integer out of range'.
const sendRateSchema = flowRateSchema(Math.floor(INT4_MAX / 1000));

export const settingsSchema = {
  type: 'object',
  properties: {
    reentry: { enum: ['always', 'once', 'once-at-a-time'] },
    exitOn: { type: 'array', items: eventNameSchema },
    autoMerge: { type: 'boolean', description: 'false forbids automatic contact merges for webhook calls' },
    webhookRateLimit: {
      type: ['object', 'null'],
      description: 'null (PATCH): no limit, as leaving it out of a draft',
      // Counted as a PostgreSQL integer (`webhook_rate_windows.hits`).
      properties: {
        max: { type: 'integer', minimum: 1, maximum: INT4_MAX },
        window: { type: 'string', minLength: 2 },
      },
      required: ['max', 'window'],
      additionalProperties: false,
    },
    maxEntries: { type: ['integer', 'null'], minimum: 1, maximum: INT4_MAX },
    entryRate: entryRateSchema,
    sendRate: sendRateSchema,
    goal: {
      type: ['object', 'null'],
      properties: {
        event: eventNameSchema,
        // Every key of the filter: a bare object schema would serialize it as {} in answers.
        filter: { type: 'object', additionalProperties: true },
        windowSeconds: { type: 'integer', minimum: 1, maximum: 31_536_000 },
        exitOnGoal: { type: 'boolean' },
      },
      required: ['event', 'windowSeconds'],
      additionalProperties: false,
    },
  },
  additionalProperties: false,
} as const;
