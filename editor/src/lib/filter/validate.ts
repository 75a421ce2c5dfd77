import { eventNameProblem } from '../../../../engine/sdk/src/event-name.ts';
import { isDuration } from '../util/duration.ts';
import { COMPARE_OPS, type Filter, kindOf } from './types.ts';

export interface FilterProblem {
  /** JSON pointer relative to the filter's own place. */
  path: string;
  message: string;
}

type Loose = Record<string, unknown>;

/** Checks a filter's shape clause by clause, so the builder can point at the bad one as you type. */
export function validateFilter(filter: unknown, path = ''): FilterProblem[] {
  if (!filter || typeof filter !== 'object' || Array.isArray(filter)) return [{ path, message: 'must be a filter' }];
  const f = filter as Loose;
  const kind = kindOf(filter as Filter);
  const problems: FilterProblem[] = [];
  const need = (key: string): void => {
    if (typeof f[key] !== 'string' || f[key] === '') problems.push({ path: `${path}/${key}`, message: 'required' });
  };
  const duration = (key: string): void => {
    if (f[key] !== undefined && (typeof f[key] !== 'string' || !isDuration(f[key] as string))) {
      problems.push({ path: `${path}/${key}`, message: 'must be an ISO 8601 duration such as P7D' });
    }
  };
  switch (kind) {
    case 'all':
    case 'any': {
      const list = f[kind];
      if (!Array.isArray(list)) return [{ path: `${path}/${kind}`, message: 'must be a list' }];
      list.forEach((child, i) => {
        problems.push(...validateFilter(child, `${path}/${kind}/${i}`));
      });
      return problems;
    }
    case 'not':
      return validateFilter(f.not, `${path}/not`);
    case 'attr':
    case 'trigger':
    case 'step':
      need(kind);
      if (kind === 'step') need('path');
      compare(f, path, problems);
      return problems;
    case 'tag':
      need('tag');
      if (f.op !== 'has' && f.op !== 'hasNot') problems.push({ path: `${path}/op`, message: 'must be has or hasNot' });
      duration('lastAddedWithin');
      return problems;
    case 'list':
      need('list');
      if (f.op !== 'member' && f.op !== 'notMember') {
        problems.push({ path: `${path}/op`, message: 'must be member or notMember' });
      }
      duration('addedWithin');
      return problems;
    case 'event': {
      need('event');
      // A name of spaces only counts nothing: the server's rule, so both say the same.
      const blank = typeof f.event === 'string' && f.event !== '' ? eventNameProblem(f.event) : null;
      if (blank) problems.push({ path: `${path}/event`, message: blank });
      duration('within');
      if (f.where !== undefined) problems.push(...validateFilter(f.where, `${path}/where`));
      return problems;
    }
    default:
      return [{ path, message: 'unknown clause' }];
  }
}

// The form of a date or date-time; the server checks the calendar (`2026-02-30` is refused there).
const DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * Whether `value` has the form of a `before`/`after` value (nodes/README.md "Date comparisons
 * in filters"): a date, a date-time with Z or an offset, or a duration from now, `-` for the past.
 */
export function isDateValue(value: unknown): boolean {
  return typeof value === 'string' && (DATE_TIME.test(value) || isDuration(value.replace(/^-/, '')));
}

function compare(f: Loose, path: string, problems: FilterProblem[]): void {
  if (!COMPARE_OPS.includes(f.op as (typeof COMPARE_OPS)[number])) {
    problems.push({ path: `${path}/op`, message: 'unknown operator' });
  } else if ((f.op === 'in' || f.op === 'nin') && !Array.isArray(f.value)) {
    problems.push({ path: `${path}/value`, message: 'must be a list' });
  } else if (f.op !== 'exists' && f.value === undefined) {
    problems.push({ path: `${path}/value`, message: 'required' });
  } else if ((f.op === 'before' || f.op === 'after') && !isDateValue(f.value)) {
    const message = 'must be a date (2026-01-01), a date-time with Z or an offset, or a duration from now (-P30D, P3D)';
    problems.push({ path: `${path}/value`, message });
  }
}
