import type {
  ConsentStatus,
  Contact,
  JsonObject,
  JsonValue,
  MessageCategory,
  MessageStatus,
  SendResult,
} from '@waymark/sdk';

/** An event the contact is pretended to do once its token has passed `afterNode`. */
export interface TestEvent {
  afterNode: string;
  name: string;
  properties?: JsonObject;
  /** ISO 8601 duration after the node (default: at once). */
  delay?: string;
}

/** Contact fields given inline for a test run: used as the run's contact, never stored. */
export interface InlineContact {
  email?: string | null;
  phone?: string | null;
  externalId?: string | null;
  timezone?: string | null;
  attributes?: JsonObject;
  tags?: string[];
  lists?: string[];
  consent?: { email?: ConsentStatus; sms?: ConsentStatus };
}

/** The body of `POST /api/journeys/:id/test` (API.md "Test runs"). */
export interface TestRunRequest {
  version?: number | 'draft';
  contact?: InlineContact | { id: string };
  trigger?: JsonObject;
  events?: TestEvent[];
  live?: boolean;
  /** The trigger the walk starts at; default the graph's first trigger. */
  triggerNodeId?: string;
  /** The simulated instant the walk starts at; default now. */
  startAt?: string;
}

/** A contact-store write a node asked for: shown in the step, never applied. */
export interface ContactWrite {
  op: 'update' | 'addTag' | 'removeTag' | 'addToList' | 'removeFromList' | 'recordEvent' | 'createLead';
  [field: string]: JsonValue;
}

/** One node executed for one token, at the simulated time it would run. */
export interface TestStep {
  nodeId: string;
  /** `waiting`: the walk ended while this step still waited. */
  status: 'completed' | 'failed' | 'waiting';
  /** The output taken; a list when the step forked or ended the path; null when it took none. */
  next: string | string[] | null;
  output?: JsonValue;
  error?: { message: string; code: string; attempts?: number; retryable?: boolean };
  /** When the token reached the node. */
  at: string;
  /** When a waiting step went on, and why. */
  resumedAt?: string;
  resumedBy?: 'time' | 'event' | 'timeout';
  attempts: number;
  writes?: ContactWrite[];
}

/** A message a step would send, rendered as it would go out, with the contact rules' verdict. */
export interface TestMessage {
  nodeId: string;
  messageId: string;
  channel: string;
  category: MessageCategory;
  to: string;
  from?: string;
  replyTo?: string;
  subject?: string;
  html?: string;
  text?: string;
  headers: Record<string, string>;
  status: MessageStatus;
  reason?: SendResult['reason'];
  /** When the verdict was given (the send time for a message delayed by quiet hours). */
  at: string;
  /** The end of the quiet hours that delayed it. */
  delayedUntil?: string;
}

/** What a test run answers. */
export interface TestRunResult {
  /** How the walk ended: `exited` when an `exitOn` event ended it. */
  status: 'completed' | 'failed' | 'exited';
  /** The goal of the `core.exit` reached. */
  outcome?: string;
  steps: TestStep[];
  messages: TestMessage[];
  /** The contact as the walk left it (simulated writes applied), null for an anonymous walk. */
  contact: Contact | null;
}
