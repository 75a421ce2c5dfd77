/** A string PostgreSQL cannot store, by its JSON pointer in the value searched. */
export interface UnstorableText {
  path: string;
  /** What is wrong with it, to follow the field's name: `must not contain a NUL character`. */
  problem: string;
}

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
}

function pointer(frame: Frame | null, last: string): string {
  let path = last;
  for (let f = frame; f?.parent; f = f.parent) path = `/${escapeToken(f.key)}${path}`;
  return path;
}

/**
 * A string, or object key, in a parsed JSON value (a body, a query string, a filter)
 * that PostgreSQL cannot store; null when there is none. One pass over the value, without
 * recursion, so any depth JSON.parse accepts is searched.
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
  if (typeof value !== 'object' || value === null) return null;
  const stack: Frame[] = [{ value, key: '', parent: null }];
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
      } else if (typeof item === 'object' && item !== null) stack.push({ value: item, key, parent: frame });
    }
  }
  return null;
}
