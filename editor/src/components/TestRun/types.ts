import type { Contact } from '../../lib/api/types/contacts.ts';
import type { JsonObject, JsonValue } from '../../lib/api/types/json.ts';

/** One step of a test run (API.md "Test runs"). */
export interface TestStep {
  nodeId: string;
  status: 'completed' | 'failed' | 'waiting';
  /** The output taken; a list when the step forked or ended the path; null when it took none. */
  next: string | string[] | null;
  output?: JsonValue;
  error?: { message: string; code?: string };
  at: string;
  resumedAt?: string;
  resumedBy?: 'time' | 'event' | 'timeout';
  attempts: number;
  writes?: ({ op: string } & JsonObject)[];
}

/** A message a test run rendered instead of sending. */
export interface TestMessage {
  nodeId: string;
  messageId: string;
  channel: string;
  category: string;
  to: string;
  from?: string;
  subject?: string;
  html?: string;
  text?: string;
  headers: Record<string, string>;
  status: 'queued' | 'delayed' | 'sent' | 'suppressed' | 'failed';
  reason?: string;
  at: string;
  delayedUntil?: string;
}

export interface TestRunResult {
  status: 'completed' | 'failed' | 'exited';
  outcome?: string;
  steps: TestStep[];
  messages: TestMessage[];
  contact: Contact | null;
}

/** An event row of the form: properties are JSON text until the run is sent. */
export interface EventDraft {
  afterNode: string;
  name: string;
  properties: string;
}

/** The outputs a step took, as a list. */
export function outputsTaken(step: TestStep): string[] {
  if (step.next === null) return [];
  return Array.isArray(step.next) ? step.next : [step.next];
}

/** What a node on the canvas shows of its test step: the output taken (or the outcome) and when, in UTC. */
export function stepLabel(step: TestStep): string {
  const taken = outputsTaken(step);
  const what = step.status === 'failed' ? 'failed' : taken.length ? `→ ${taken.join(', ')}` : step.status;
  const at = (step.resumedAt ?? step.at).slice(0, 16).replace('T', ' ');
  return `${what} · ${at} UTC`;
}
