import { ConflictError, NotFoundError } from '@waymark/sdk';

/** The error for an unknown journey id. */
export const journeyNotFound = (id: string) => new NotFoundError(`no journey ${id}`);

/** The error for a change to an archived journey: it stays readable, never editable. */
export const journeyArchived = (id: string) =>
  new ConflictError(`journey ${id} is archived: it can be read but no longer changed`);
