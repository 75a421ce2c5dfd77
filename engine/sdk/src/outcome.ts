import { eventNameProblem } from './event-name.js';
import type { JsonObject, JsonValue } from './json.js';
import { DURATION_BOUND_TEXT, DURATION_MAX_SECONDS } from './time/duration.js';

/** What one execution of a node came to, after checking the shape of what `run` returned. */
export type Outcome =
  | { kind: 'next'; outputs: string[]; output: JsonValue | null }
  | { kind: 'wait-time'; until: Date; output: JsonValue | null; held?: boolean }
  | { kind: 'wait-event'; event: string; filter: JsonValue | null; timeoutAt: Date; output: JsonValue | null }
  | {
      kind: 'error';
      retryable: boolean;
      /** `code` is stable (NODES.md "Error codes"). */
      error: { message: string; code: string };
      /** JSON the node kept beside the error for the `error` output (http.request: the answer). */
      output?: JsonObject;
      /** The delay the failure asked for before the next attempt (a `Retry-After`). */
      retryAfterMs?: number;
    };

/**
 * A result the engine cannot use: the step fails at once (then `onError` decides).
 *
 * @example
 * invalidResult('expected an object').error // { message: 'the node returned an invalid result: expected an object', code: 'node.invalid-result' }
 */
export const invalidResult = (message: string): Extract<Outcome, { kind: 'error' }> => ({
  kind: 'error',
  retryable: false,
  error: { message: `the node returned an invalid result: ${message}`, code: 'node.invalid-result' },
});

/**
 * The failure of a `next` naming outputs the node does not have for its params, listing those
 * it has, so the author sees the misspelling (`outputs` is `outputsOf(node, params)`).
 *
 * @example
 * unknownOutputs(['nowhere'], ['low', 'high', 'error']).error.message
 * // 'the node returned an invalid result: unknown output(s) nowhere (its outputs are low, high, error)'
 */
export const unknownOutputs = (unknown: readonly string[], outputs: readonly string[]) =>
  invalidResult(`unknown output(s) ${unknown.join(', ')} (its outputs are ${outputs.join(', ') || 'none'})`);

/** A copy of a plain object of strings, finite numbers, booleans and nulls (what most nodes return); null for anything else. */
function flatCopy(value: object): JsonObject | null {
  if (Object.getPrototypeOf(value) !== Object.prototype) return null;
  const copy: JsonObject = {};
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue; // JSON leaves it out
    if (v !== null && typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v)))
      return null;
    copy[key] = v;
  }
  return copy;
}

/**
 * What `value` is as JSON, copied (undefined: it is not JSON), as a step's output is stored.
 *
 * @example
 * jsonOutput({ at: new Date(0) }) // { at: '1970-01-01T00:00:00.000Z' }
 */
export function jsonOutput(value: unknown): JsonValue | null | undefined {
  if (value === undefined || value === null) return null;
  // The round trip below costs more than the node's run for a small flat object.
  const flat = typeof value === 'object' && !Array.isArray(value) ? flatCopy(value) : null;
  if (flat) return flat;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
  } catch {
    return undefined;
  }
}

const validDate = (d: unknown): d is Date => d instanceof Date && !Number.isNaN(d.getTime());

/**
 * What is wrong with a date a result asks to wait for, or null: it must be a valid Date within
 * the bound of a duration of `now` (a later one is past what PostgreSQL reads, and its run
 * would retry its step for ever).
 */
function dateProblem(field: string, value: unknown, now: number): string | null {
  if (!validDate(value)) return `${field} must be a valid Date`;
  if (Math.abs(value.getTime() - now) > DURATION_MAX_SECONDS * 1000)
    return `${field} must be ${DURATION_BOUND_TEXT} from now, not ${value.toISOString()}`;
  return null;
}

/**
 * Checks what `run` returned: `{ next, output? }` or one of the two wait requests, as the
 * engine does before it stores a step (and `runNode` before it answers).
 *
 * @example
 * toOutcome({ next: 'out', output: { n: 1 } }) // { kind: 'next', outputs: ['out'], output: { n: 1 } }
 * toOutcome({ nxet: 'out' }).kind // 'error' (node.invalid-result)
 */
export function toOutcome(result: unknown, now = Date.now()): Outcome {
  if (!result || typeof result !== 'object' || Array.isArray(result)) return invalidResult('expected an object');
  const r = result as Record<string, unknown>;
  const output = jsonOutput(r.output);
  if (output === undefined) return invalidResult('output is not JSON');
  if ('next' in r) {
    const list = Array.isArray(r.next) ? r.next : [r.next];
    if (!list.every((o) => typeof o === 'string'))
      return invalidResult('next must be an output name or a list of them');
    return { kind: 'next', outputs: [...new Set(list as string[])], output };
  }
  if (r.wait && typeof r.wait === 'object') {
    const w = r.wait as Record<string, unknown>;
    if ('until' in w) {
      const problem = dateProblem('wait.until', w.until, now);
      if (problem) return invalidResult(problem);
      const until = w.until as Date;
      return w.held === true ? { kind: 'wait-time', until, output, held: true } : { kind: 'wait-time', until, output };
    }
    const eventProblem = eventNameProblem(w.event);
    if (eventProblem) return invalidResult(`wait.event must be an event name: it ${eventProblem}`);
    const problem = dateProblem('wait.timeoutAt', w.timeoutAt, now);
    if (problem) return invalidResult(problem);
    const filter = w.filter === undefined ? null : jsonOutput(w.filter);
    if (filter === undefined) return invalidResult('wait.filter is not JSON');
    return { kind: 'wait-event', event: w.event as string, filter, timeoutAt: w.timeoutAt as Date, output };
  }
  return invalidResult('expected { next } or { wait }');
}
