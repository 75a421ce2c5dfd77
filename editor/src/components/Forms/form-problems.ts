import type { ErrorDetail } from '../../../../engine/sdk/src/errors.ts';

/**
 * The server's refusal of a form (`details[]`: a JSON pointer into the body and a message),
 * placed at the builder's inputs: each input asks for the problems at its pointer.
 */
export type Problem = Pick<ErrorDetail, 'path' | 'message'>;

/** The message without the pointer the API repeats in it (`body/fields/0/label is required`). */
export function problemText({ path, message }: Problem): string {
  if (!path) return message;
  const lead = [`body${path} `, `${path} `].find((l) => message.startsWith(l));
  return lead ? message.slice(lead.length) : message;
}

/**
 * The messages at `pointer`; with `within`, also those below it (an option of a choice list at
 * the list's options, an entry of the lists at the lists).
 */
export function problemsAt(problems: readonly Problem[], pointer: string, within = false): string {
  return problems
    .filter((p) => p.path === pointer || (within && p.path?.startsWith(`${pointer}/`)))
    .map(problemText)
    .join('; ');
}

/**
 * The problems after the fields moved: `/fields/<i>/…` follows field i to `index(i)`, and is
 * dropped with a removed field (`index(i)` null), so a message stays beside the field it names.
 */
export function reindexed(problems: readonly Problem[], index: (i: number) => number | null): Problem[] {
  return problems.flatMap((p) => {
    const match = p.path?.match(/^\/fields\/(\d+)(\/.*)?$/);
    if (!match) return [p];
    const to = index(Number(match[1]));
    return to === null ? [] : [{ ...p, path: `/fields/${to}${match[2] ?? ''}` }];
  });
}
