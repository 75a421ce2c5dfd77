import {
  type ErrorDetail,
  eventNameProblem,
  type Filter,
  isDurationWithinBound,
  type JsonValue,
  parseDuration,
  validateFilter,
} from '@waymark/sdk';

/** How a computed attribute is computed (contract identity.md "Computed attributes"). */
export type Definition =
  | {
      kind: 'aggregate';
      fn: 'count' | 'sum' | 'avg' | 'min' | 'max' | 'first' | 'last';
      event: string;
      property?: string;
      within?: string;
      where?: Filter;
    }
  | { kind: 'daysSince'; event: string; which?: 'last' | 'first'; where?: Filter }
  | { kind: 'rfm'; event: string; property: string; within?: string; buckets?: number }
  | { kind: 'filter'; filter: Filter }
  | { kind: 'filter'; cases: { when: Filter; value: CaseValue }[]; else?: CaseValue | null };

type CaseValue = string | number | boolean;

export const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const FNS = ['count', 'sum', 'avg', 'min', 'max', 'first', 'last'];
const KEYS: Record<string, string[]> = {
  aggregate: ['fn', 'event', 'property', 'within', 'where'],
  daysSince: ['event', 'which', 'where'],
  rfm: ['event', 'property', 'within', 'buckets'],
  filter: ['filter', 'cases', 'else'],
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCaseValue = (v: unknown) => ['string', 'number', 'boolean'].includes(typeof v);

/** The computed attributes a filter names, in `computed` clauses at any depth. */
export function computedNames(filter: unknown): string[] {
  if (Array.isArray(filter)) return filter.flatMap(computedNames);
  if (!isObj(filter)) return [];
  const own = typeof filter.computed === 'string' ? [filter.computed.split('.')[0] as string] : [];
  return [...own, ...Object.values(filter).flatMap(computedNames)];
}

/** The computed attributes a definition reads (only `filter` definitions read any). */
export function dependencies(d: Definition): string[] {
  if (d.kind !== 'filter') return [];
  return [...new Set('filter' in d ? computedNames(d.filter) : computedNames(d.cases.map((c) => c.when)))];
}

/** Problems of one filter: its shape, then names of computed attributes that do not exist. */
function filterProblems(filter: unknown, pointer: string, known: (name: string) => boolean): ErrorDetail[] {
  const shape = validateFilter(filter, 'segment', pointer);
  if (shape.length) return shape;
  return unknownComputed(filter, pointer, known);
}

/** `computed` clauses naming no computed attribute, each at its JSON pointer. */
export function unknownComputed(filter: unknown, pointer: string, known: (name: string) => boolean): ErrorDetail[] {
  if (Array.isArray(filter)) return filter.flatMap((f, i) => unknownComputed(f, `${pointer}/${i}`, known));
  if (!isObj(filter)) return [];
  const here =
    typeof filter.computed === 'string' && !known(filter.computed.split('.')[0] as string)
      ? [{ path: pointer, message: `no computed attribute "${filter.computed}"` }]
      : [];
  return [
    ...here,
    ...Object.entries(filter).flatMap(([k, v]) =>
      isObj(v) || Array.isArray(v) ? unknownComputed(v, `${pointer}/${k}`, known) : [],
    ),
  ];
}

/**
 * Checks a definition; each problem names its JSON pointer under `/definition`. `known` tells
 * which computed attribute names exist (for `computed` clauses of filter definitions).
 */
export function validateDefinition(d: unknown, known: (name: string) => boolean): ErrorDetail[] {
  const at = (path: string, message: string): ErrorDetail => ({ path: `/definition${path}`, message });
  if (!isObj(d)) return [at('', 'a definition must be an object')];
  const kind = d.kind;
  if (typeof kind !== 'string' || !KEYS[kind])
    return [at('/kind', `kind must be one of ${Object.keys(KEYS).join(', ')}`)];
  const problems = Object.keys(d)
    .filter((k) => k !== 'kind' && !KEYS[kind]?.includes(k))
    .map((k) => at(`/${k}`, `unknown key ${k} in a ${kind} definition`));
  const duration = (key: string) => {
    // A window past the bound starts before the times PostgreSQL stores: its refresh failed,
    // and the attribute stayed `computing` for ever.
    if (d[key] !== undefined && (typeof d[key] !== 'string' || !isDurationWithinBound(parseDuration(d[key] as string))))
      problems.push(at(`/${key}`, `${key} must be an ISO 8601 duration of at most 1000 years (e.g. P90D)`));
  };
  const text = (key: string, required: boolean) => {
    if (d[key] === undefined ? required : typeof d[key] !== 'string' || d[key] === '')
      problems.push(at(`/${key}`, `${key} must be a non-empty string`));
  };
  // No event is stored under a blank name (`eventNameSchema`): the attribute would count nothing.
  const eventName = () => {
    const problem = typeof d.event === 'string' && d.event !== '' ? eventNameProblem(d.event) : null;
    if (problem) problems.push(at('/event', `event ${problem}`));
    else text('event', true);
  };
  const where = () => {
    if (d.where !== undefined) problems.push(...validateFilter(d.where, 'event', '/definition/where'));
  };
  if (kind === 'aggregate') {
    if (typeof d.fn !== 'string' || !FNS.includes(d.fn))
      problems.push(at('/fn', `fn must be one of ${FNS.join(', ')}`));
    eventName();
    text('property', d.fn !== 'count');
    duration('within');
    where();
  } else if (kind === 'daysSince') {
    eventName();
    if (d.which !== undefined && d.which !== 'last' && d.which !== 'first')
      problems.push(at('/which', 'which must be "last" or "first"'));
    where();
  } else if (kind === 'rfm') {
    eventName();
    text('property', true);
    duration('within');
    const b = d.buckets;
    if (b !== undefined && (!Number.isInteger(b) || (b as number) < 2 || (b as number) > 10))
      problems.push(at('/buckets', 'buckets must be an integer from 2 to 10'));
  } else if (d.filter !== undefined) {
    if (d.cases !== undefined || d.else !== undefined) problems.push(at('', 'give either filter or cases'));
    problems.push(...filterProblems(d.filter, '/definition/filter', known));
  } else if (Array.isArray(d.cases) && d.cases.length > 0) {
    d.cases.forEach((c: unknown, i) => {
      if (!isObj(c)) {
        problems.push(at(`/cases/${i}`, 'a case is { when, value }'));
        return;
      }
      problems.push(...filterProblems(c.when, `/definition/cases/${i}/when`, known));
      if (!isCaseValue(c.value)) problems.push(at(`/cases/${i}/value`, 'value must be a string, number or boolean'));
    });
    if (d.else !== undefined && d.else !== null && !isCaseValue(d.else))
      problems.push(at('/else', 'else must be a string, number, boolean or null'));
  } else problems.push(at('/filter', 'a filter definition needs filter or a non-empty cases array'));
  return problems;
}

/** The value a `filter` definition's case gives, as stored. */
export function caseValue(v: CaseValue | null | undefined): JsonValue {
  return v ?? null;
}
