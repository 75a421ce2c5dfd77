/** Shapes of the HTTP API (shared/API.md) as the editor reads them. */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** A JSON Schema as the catalogue sends it; only the keywords the form reads are typed. */
export interface Schema {
  type?: string | string[];
  title?: string;
  description?: string;
  format?: string;
  credentialType?: string;
  /** A credential param that takes any credential sending this channel (`email`, `sms`). */
  credentialChannel?: string;
  enum?: JsonValue[];
  const?: JsonValue;
  default?: JsonValue;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: boolean | Schema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  oneOf?: Schema[];
  anyOf?: Schema[];
  [keyword: string]: unknown;
}

export type NodeKind = 'trigger' | 'action' | 'condition' | 'wait';

export interface CatalogueNode {
  type: string;
  version: number;
  kind: NodeKind;
  title: string;
  description: string;
  category: string;
  /** The canvas line: a Liquid template over the params (SDK `summary`). */
  summary?: string;
  params: Schema;
  outputs: string[] | null;
  package: { name: string; version: string; versions?: string[] };
}

/** A package as `GET /api/packages` lists it. */
export interface PackageEntry {
  name: string;
  version: string;
  source: 'builtin' | 'environment' | 'installed';
  description: string | null;
  nodes: string[];
  credentials: string[];
  error?: string;
  installedAt?: string;
  dependencies?: Record<string, string>;
  usedBy?: { journeyId: string; journeyName: string; version: number }[];
  loadErrors?: { process: string; message: string; at: string }[];
}

/** One hit of `GET /api/packages/search`. */
export interface PackageHit {
  name: string;
  version: string;
  description: string | null;
  installed: string[];
}

export interface GraphNode {
  id: string;
  type: string;
  version: number;
  params: JsonObject;
  position: { x: number; y: number };
  settings?: NodeSettings;
}

/** A node's failure handling (API.md "Node settings"). */
export interface NodeSettings {
  onError?: 'fail' | 'continue' | 'output';
  retry?: { attempts?: number; backoff?: string; maxBackoff?: string };
}

/** A failed step's error (API.md "Step errors"). */
export interface StepError {
  code: string;
  message: string;
  attempts: number;
  retryable: boolean;
}

/** A failure group's latest failure. */
export interface FailureSample {
  runId: string;
  contactId: string | null;
  version: number;
  error: StepError;
  at: string;
}

/** One group of `GET /api/journeys/:id/failures`: the runs failed now at a node with a code. */
export interface FailureGroup {
  nodeId: string;
  code: string;
  count: number;
  sample: FailureSample;
  firstAt: string;
  lastAt: string;
}

export interface JourneyFailures {
  total: number;
  nodes: Record<string, number>;
  groups: FailureGroup[];
}

/** A bulk retry (`GET /api/journeys/:id/retry/:jobId`). */
export interface RetryJob {
  id: string;
  status: 'running' | 'completed' | 'cancelled';
  matched: number;
  retried: number;
  skipped: number;
  runs: Record<RunStatus, number>;
}

export interface GraphEdge {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface JourneySettings {
  reentry?: 'always' | 'once' | 'once-at-a-time';
  exitOn?: string[];
  webhookRateLimit?: { max: number; window: string };
  /** At most this many runs ever enter. */
  maxEntries?: number | null;
  /** At most `count` runs enter per `perSeconds`; later ones wait their turn. */
  entryRate?: FlowRate | null;
  /** At most `count` of the journey's messages go out per `perSeconds`. */
  sendRate?: FlowRate | null;
}

export interface FlowRate {
  count: number;
  perSeconds: number;
}

export type JourneyStatus = 'draft' | 'live' | 'paused';

export interface JourneySummary {
  id: string;
  name: string;
  status: JourneyStatus;
  publishedVersion: number | null;
  tags: string[];
  updatedAt: string;
}

/** API.md leaves the version list's items open: numbers or objects carrying `version`. */
export type VersionEntry = number | { version: number; publishedAt?: string };

/** A starting point of "Create journey" (GET /api/journey-templates). */
export interface JourneyTemplate {
  id: string;
  name: string;
  description: string;
  graph: Graph;
  settings?: Partial<JourneySettings>;
}

export interface Journey {
  id: string;
  name: string;
  status?: JourneyStatus;
  publishedVersion?: number | null;
  tags?: string[];
  draft: { graph: Graph; settings?: JourneySettings };
  versions: VersionEntry[];
}

export interface JourneyVersion {
  version: number;
  graph: Graph;
  settings: JourneySettings;
  publishedAt: string;
}

export interface GraphError {
  nodeId?: string;
  edgeId?: string;
  path?: string;
  message: string;
}

export interface GraphDiff {
  nodes: { added: string[]; removed: string[]; changed: { id: string; paths: string[] }[] };
  edges: { added: string[]; removed: string[] };
}

export interface NodeStats {
  entered: number;
  completed: number;
  failed: number;
  waiting: number;
}

export interface JourneyStats {
  nodes: Record<string, NodeStats>;
  outputs: Record<string, Record<string, number>>;
}

export type RunStatus = 'running' | 'waiting' | 'completed' | 'failed' | 'exited';

export interface Run {
  id: string;
  journeyId: string;
  version: number;
  contactId: string | null;
  status: RunStatus;
  outcome?: string;
  startedAt: string;
  endedAt: string | null;
  failure?: { nodeId: string; error: StepError; at: string };
  /** In lists: the contact's email. */
  contactEmail?: string | null;
}

export interface RunStep {
  nodeId: string;
  status: 'completed' | 'failed' | 'waiting';
  output?: JsonValue;
  error?: JsonValue;
  attempts: number;
  startedAt: string;
  finishedAt: string | null;
}

/** A step the run's end stopped before it finished (`startedAt` null: queued, never started). */
export interface CancelledStep {
  nodeId: string;
  startedAt: string | null;
  cancelledAt: string;
}

export interface RunDetail extends Run {
  steps: RunStep[];
  cancelledSteps: CancelledStep[];
}

export interface LiveStep {
  type: 'step';
  journeyId: string;
  version: number;
  runId: string;
  nodeId: string;
  status: string;
}

export interface ContactTag {
  tag: string;
  count: number;
  firstAddedAt: string;
  lastAddedAt: string;
  expiresAt: string | null;
  active: boolean;
}

export interface Consent {
  status: 'unknown' | 'subscribed' | 'unsubscribed';
  source?: string;
  at?: string;
}

export interface Contact {
  id: string;
  email: string | null;
  phone: string | null;
  externalId: string | null;
  timezone: string | null;
  attributes: JsonObject;
  consent?: { email?: Consent; sms?: Consent };
  tags?: ContactTag[] | string[];
  lists?: { list: string; addedAt: string }[] | string[];
  createdAt: string;
  updatedAt: string;
}

export interface ContactEvent {
  id: string;
  contactId: string;
  name: string;
  properties: JsonObject;
  timestamp: string;
}

export type MessageStatus = 'queued' | 'delayed' | 'sent' | 'suppressed' | 'failed';

export interface Message {
  id: string;
  runId: string | null;
  nodeId: string | null;
  contactId: string | null;
  channel: string;
  category: string;
  to: string;
  subject?: string;
  status: MessageStatus;
  reason?: string;
  error?: string;
  createdAt: string;
  sentAt?: string;
  opens: number;
  clicks: number;
}

export interface MessageDetail extends Message {
  html?: string | null;
  text?: string | null;
  headers?: Record<string, string | string[]>;
  /** An email the outbox kept: every header line it would go out with, in order. */
  allHeaders?: { name: string; value: string }[];
}

export interface Credential {
  id: string;
  name: string;
  type: string;
  createdAt: string;
  /** The channel a sending credential sends, else null. */
  channel: string | null;
}
