import type { JsonValue } from '../json.js';

/**
 * The filter language of NODES.md: one JSON tree for segments, conditions and event filters.
 * The engine evaluates it in SQL (every contact) and in memory (one contact); both agree.
 */
export type Filter =
  | { all: Filter[] }
  | { any: Filter[] }
  | { not: Filter }
  | AttrClause
  | ComputedClause
  | TagClause
  | ListClause
  | EventClause
  | TriggerClause
  | StepClause;

export type CompareOp =
  | 'eq'
  | 'neq'
  | 'in'
  | 'nin'
  | 'gt'
  | 'gte'
  | 'lt'
  | 'lte'
  | 'contains'
  | 'exists'
  // An instant before or after the value's: an ISO 8601 date or date-time, or a duration from now (`-P30D`).
  | 'before'
  | 'after';

export interface AttrClause {
  attr: string;
  op: CompareOp;
  value?: JsonValue;
}

/** A computed attribute's value (contract identity.md); a dotted path reaches into an object value. */
export interface ComputedClause {
  computed: string;
  op: CompareOp;
  value?: JsonValue;
}

export interface CountRange {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  eq?: number;
}

export interface TagClause {
  tag: string;
  op: 'has' | 'hasNot';
  count?: CountRange;
  lastAddedWithin?: string;
}

export interface ListClause {
  list: string;
  op: 'member' | 'notMember';
  addedWithin?: string;
}

export interface EventClause extends CountRange {
  event: string;
  op: 'count';
  within?: string;
  where?: Filter;
}

export interface TriggerClause {
  trigger: string;
  op: CompareOp;
  value?: JsonValue;
}

export interface StepClause {
  step: string;
  path: string;
  op: CompareOp;
  value?: JsonValue;
}
