import { ConflictError, type ErrorDetail, NotFoundError, WaymarkError } from '@waymark/sdk';

/** The error for an unknown journey id. */
export const journeyNotFound = (id: string) => new NotFoundError(`no journey ${id}`);

/** The error for a change to an archived journey: it stays readable, never editable. */
export const journeyArchived = (id: string) =>
  new ConflictError(`journey ${id} is archived: it can be read but no longer changed`);

/** The 422 for a graph that cannot be published or test-run, listing every problem. */
export const invalidGraph = (errors: readonly ErrorDetail[]) =>
  new WaymarkError('invalid_graph', `the draft has ${errors.length} problem${errors.length === 1 ? '' : 's'}`, errors);

/** The 412 for a draft save made on condition that the draft was still a revision it no longer is. */
export const draftMoved = (id: string, revision: number) =>
  new WaymarkError(
    'precondition_failed',
    `the draft of journey ${id} changed since the revision named: it is now revision ${revision}; nothing was saved`,
  );
