import { createContext } from 'svelte';
import type { Filter, FilterScope } from '../../lib/filter/types.ts';

/** Shared by every clause of one builder. */
export interface FilterContext {
  /** Problems by JSON pointer, relative to the same root the clauses' paths use. */
  readonly errors: ReadonlyMap<string, string[]>;
  readonly readOnly: boolean;
  /** Why the clauses are read-only when it is a missing permission: every control's title. */
  readonly reason: string | undefined;
  /** Node ids a `step` clause may name (earlier steps of the run). */
  readonly stepIds: string[];
}

export interface FilterNodeProps {
  filter: Filter;
  scope: FilterScope;
  path: string;
  onchange: (filter: Filter) => void;
  /** Absent on the root, which cannot remove itself. */
  onremove?: () => void;
}

export const [getFilterContext, setFilterContext] = createContext<FilterContext>();
