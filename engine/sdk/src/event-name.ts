import { isBlank, NOT_BLANK_PATTERN } from './contact.js';
import { ValidationError } from './errors.js';

/**
 * The JSON Schema of an event name: text that is not empty and not only whitespace (`"  "` is
 * refused, "must not be blank"; a name is stored and matched as given, never trimmed). No
 * event is stored under a blank name, so a trigger, wait, `exitOn`, goal or filter naming one
 * would wait for nothing. Every place an event name is taken uses it or `eventNameProblem`:
 * `POST /api/events`, a test run's `events`, `core.event` and `core.wait-for-event` params,
 * journey settings, filters' event clauses, computed attributes, `ctx.wait` and
 * `ctx.contacts.recordEvent`.
 *
 * @example
 * properties: { event: { ...eventNameSchema, title: 'Event name' } }
 */
export const eventNameSchema = { type: 'string', pattern: NOT_BLANK_PATTERN } as const;

/**
 * Why `name` is no event name by the rule of `eventNameSchema`, said after the field's name
 * (`must be a string`, `must not be blank`), or null when it is one: for what no schema checks.
 *
 * @example
 * eventNameProblem('  '); // 'must not be blank'
 */
export function eventNameProblem(name: unknown): string | null {
  if (typeof name !== 'string') return 'must be a string';
  return isBlank(name) ? 'must not be blank' : null;
}

/**
 * Refuses a name `eventNameSchema` would: a node's call (`ctx.contacts.recordEvent`) computed
 * it and no schema saw it. The step fails for good (`node.failed`), naming the call and the name.
 *
 * @example
 * refuseBadEventName('recordEvent', ' '); // throws ValidationError: ctx.contacts.recordEvent: event name " " must not be blank
 */
export function refuseBadEventName(call: string, name: unknown): void {
  const problem = eventNameProblem(name);
  if (problem)
    throw new ValidationError(`ctx.contacts.${call}: event name ${JSON.stringify(name)} ${problem}`, [
      { path: '/name', message: `/name ${problem}` },
    ]);
}
