/** A string, number or nesting PostgreSQL cannot store, by its JSON pointer in the value searched. */
export interface UnstorableText {
  path: string;
  /** What is wrong with it, to follow the field's name: `must not contain a NUL character`. */
  problem: string;
}

/**
 * How deep objects and arrays may nest in a value taken from outside, the value itself being
 * level 1. JSON.parse takes any depth, but JSON.stringify (every write of a body's JSON) runs
 * out of stack some thousands of levels down, and PostgreSQL's jsonb reader is recursive too:
 * a limit far above any real payload, checked where the value is taken, keeps that a 400.
 */
export const MAX_JSON_DEPTH = 128;
const TOO_DEEP = `must not nest objects and arrays more than ${MAX_JSON_DEPTH} levels deep`;
// JSON.parse reads `1e309` as Infinity, which JSON.stringify writes as null: stored, it was lost.
const NOT_FINITE = 'must be a number within double precision range';
const isNonFinite = (value: unknown) => typeof value === 'number' && !Number.isFinite(value);

/**
 * Why PostgreSQL cannot store a text, or null: `text` and `jsonb` refuse a NUL character, and
 * a lone UTF-16 surrogate (`"\ud800"` in JSON) has no UTF-8 form at all. Either would end the
 * request in a database error, so it is refused while the field can still be named.
 */
export function textProblem(text: string): string | null {
  if (text.includes('\0')) return 'must not contain a NUL character';
  if (!text.isWellFormed()) return 'must be well-formed Unicode (no lone surrogate)';
  return null;
}

const escapeToken = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** A container still to be searched, linked to its parent to spell its path on a find. */
interface Frame {
  value: object;
  key: string;
  parent: Frame | null;
  depth: number;
}

function pointer(frame: Frame | null, last: string): string {
  let path = last;
  for (let f = frame; f?.parent; f = f.parent) path = `/${escapeToken(f.key)}${path}`;
  return path;
}

/**
 * A string, or object key, in a parsed JSON value (a body, a query string, a filter)
 * that PostgreSQL cannot store, a number JSON cannot write (`1e309`, read as Infinity), or the
 * first object or array nested past `MAX_JSON_DEPTH`;
 * null when there is none. One pass over the value, without recursion, so any depth
 * JSON.parse accepts is searched.
 *
 * @example
 * findUnstorableText({ attributes: { plan: 'a\u0000b' } })
 * // { path: '/attributes/plan', problem: 'must not contain a NUL character' }
 */
export function findUnstorableText(value: unknown): UnstorableText | null {
  if (typeof value === 'string') {
    const problem = textProblem(value);
    return problem ? { path: '', problem } : null;
  }
  if (isNonFinite(value)) return { path: '', problem: NOT_FINITE };
  if (typeof value !== 'object' || value === null) return null;
  const stack: Frame[] = [{ value, key: '', parent: null, depth: 1 }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    const members = frame.value as Record<string, unknown>;
    const isArray = Array.isArray(members);
    for (const key of Object.keys(members)) {
      const keyProblem = isArray ? null : textProblem(key);
      if (keyProblem) return { path: pointer(frame, `/${escapeToken(key)}`), problem: `${keyProblem} in its name` };
      const item = members[key];
      if (typeof item === 'string') {
        const problem = textProblem(item);
        if (problem) return { path: pointer(frame, `/${escapeToken(key)}`), problem };
      } else if (isNonFinite(item)) {
        return { path: pointer(frame, `/${escapeToken(key)}`), problem: NOT_FINITE };
      } else if (typeof item === 'object' && item !== null) {
        if (frame.depth === MAX_JSON_DEPTH) return { path: pointer(frame, `/${escapeToken(key)}`), problem: TOO_DEEP };
        stack.push({ value: item, key, parent: frame, depth: frame.depth + 1 });
      }
    }
  }
  return null;
}

/** `text` with each NUL and lone surrogate read as U+FFFD, the replacement character. */
const storableString = (text: string) => text.replaceAll('\0', '\uFFFD').toWellFormed();

/** A copy of `value` with storable strings and keys, or undefined when it nests past MAX_JSON_DEPTH. */
function storableCopy(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return storableString(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_JSON_DEPTH) return undefined;
  const entries: [string, unknown][] = [];
  for (const [key, item] of Object.entries(value)) {
    const copy = storableCopy(item, depth + 1);
    if (copy === undefined) return undefined;
    entries.push([storableString(key), copy]);
  }
  // fromEntries defines each key, so a `__proto__` key stays a key, as JSON.parse made it.
  return Array.isArray(value) ? entries.map(([, item]) => item) : Object.fromEntries(entries);
}

/**
 * Parsed JSON from outside that must be stored whatever it holds (an endpoint's answer): the
 * same value when PostgreSQL can store it, else a copy with every NUL and lone surrogate read
 * as U+FFFD, as a UTF-8 decoder reads bytes it cannot decode; undefined when it nests past
 * MAX_JSON_DEPTH (no copy can keep its shape: store its text instead).
 *
 * @example
 * storableJson({ name: 'Ada\u0000' }) // { name: 'Ada\uFFFD' }
 */
export function storableJson<T>(value: T): T | undefined {
  const found = findUnstorableText(value);
  if (!found) return value;
  return storableCopy(value, 1) as T | undefined;
}
