import { evaluateFilter, type FilterData, type JsonValue } from '@waymark/sdk';
import { caseValue, type Definition } from './definition.js';

/** A `filter` definition (contract identity.md): a filter, or cases with an `else`. */
export type FilterDefinition = Extract<Definition, { kind: 'filter' }>;

/**
 * The value of a `filter` definition for one contact, evaluated in memory; agrees with
 * `valuesSql` (true | false, or the first matching case's value, else `else`, else null).
 *
 * @example
 * filterValue({ kind: 'filter', filter: { tag: 'vip', op: 'has' } }, { contact, now: new Date() }) // true
 */
export function filterValue(d: FilterDefinition, data: FilterData): JsonValue {
  if ('filter' in d) return evaluateFilter(d.filter, data);
  const hit = d.cases.find((c) => evaluateFilter(c.when, data));
  return caseValue(hit ? hit.value : d.else);
}
