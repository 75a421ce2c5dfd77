// What a test run answers is typed once, in the engine (API.md "Test runs"); type-only, so none
// of the engine's code is bundled.
import type { TestStep } from '../../../../engine/test-runs/types.ts';

export type { TestMessage, TestRunResult, TestStep } from '../../../../engine/test-runs/types.ts';

/** An event row of the form: properties are JSON text until the run is sent. */
export interface EventDraft {
  afterNode: string;
  name: string;
  properties: string;
  /** How long after its node the event comes (an ISO 8601 duration); empty: at once. */
  delay: string;
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
