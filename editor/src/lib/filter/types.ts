// The filter language is typed once, in the SDK: the editor reads and writes the same JSON the
// engine evaluates (type-only, so none of the SDK's code is bundled).
import type { CompareOp, CountRange, Filter } from '../../../../engine/sdk/src/filter/types.ts';

export type {
  AttrClause,
  CompareOp,
  CountRange,
  EventClause,
  Filter,
  ListClause,
  StepClause,
  TagClause,
  TriggerClause,
} from '../../../../engine/sdk/src/filter/types.ts';

/** Every comparison, in the order the builder offers them. */
export const COMPARE_OPS = [
  'eq',
  'neq',
  'in',
  'nin',
  'gt',
  'gte',
  'lt',
  'lte',
  'contains',
  'exists',
  // nodes/README.md "Date comparisons in filters"
  'before',
  'after',
] as const satisfies readonly CompareOp[];

/** The bounds a count may carry (a tag's `count`, an event clause's own keys), in the order the builder offers them. */
export const COUNT_OPS = ['gte', 'gt', 'eq', 'lte', 'lt'] as const satisfies readonly (keyof CountRange)[];
export type CountOp = (typeof COUNT_OPS)[number];

export type ClauseKind = 'all' | 'any' | 'not' | 'attr' | 'tag' | 'list' | 'event' | 'trigger' | 'step';

/**
 * Where a filter is used decides which clauses make sense: `trigger` and `step` only inside a
 * run (conditions); an event filter's `attr` reads the event's properties.
 */
export type FilterScope = 'segment' | 'condition' | 'event';

export function kindOf(filter: Filter): ClauseKind | null {
  for (const kind of ['all', 'any', 'not', 'attr', 'tag', 'list', 'event', 'trigger', 'step'] as const) {
    if (kind in filter) return kind;
  }
  return null;
}

export function kindsFor(scope: FilterScope): ClauseKind[] {
  if (scope === 'condition') return ['attr', 'tag', 'list', 'event', 'trigger', 'step', 'all', 'any', 'not'];
  if (scope === 'event') return ['attr', 'all', 'any', 'not'];
  return ['attr', 'tag', 'list', 'event', 'all', 'any', 'not'];
}

/** A fresh clause of each kind, valid enough to fill in. */
export function blank(kind: ClauseKind): Filter {
  switch (kind) {
    case 'all':
      return { all: [] };
    case 'any':
      return { any: [] };
    case 'not':
      return { not: { attr: '', op: 'exists' } };
    case 'attr':
      return { attr: '', op: 'eq', value: '' };
    case 'tag':
      return { tag: '', op: 'has' };
    case 'list':
      return { list: '', op: 'member' };
    case 'event':
      return { event: '', op: 'count', gte: 1 };
    case 'trigger':
      return { trigger: '', op: 'eq', value: '' };
    case 'step':
      return { step: '', path: '', op: 'eq', value: '' };
  }
}
