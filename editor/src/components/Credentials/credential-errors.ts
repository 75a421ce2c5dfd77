import { ApiError } from '../../lib/api/client.ts';
import type { Schema } from '../../lib/api/types/catalogue.ts';
import { pointerKeys } from '../../lib/schema/pointer.ts';
import { addError, type FieldErrors } from '../../lib/schema/validate.ts';
import { errorMessage } from '../../lib/util/format.ts';

/** A refused save: the problems under the fields they name, the others above the form. */
export interface SaveProblems {
  /** By the API's pointer into the body: `/name`, `/data/port`. */
  fields: FieldErrors;
  general: string[];
}

/**
 * The server's answer to `POST`/`PUT /api/credentials` as the form shows it: a detail naming
 * `/name` or a field of `data` goes under that field, without the pointer its label already says
 * (`body/data/port must be <= 65535` → `must be <= 65535` under Port); anything else (a rule
 * over the whole `data`, a 409) above the form.
 */
export function saveProblems(error: unknown, fieldPaths: (path: string) => boolean): SaveProblems {
  const fields: FieldErrors = new Map();
  const general: string[] = [];
  if (!(error instanceof ApiError)) return { fields, general: [errorMessage(error)] };
  for (const { path, message } of error.details) {
    const lead = `body${path ?? ''} `;
    const words = message.startsWith(lead) ? message.slice(lead.length) : message;
    if (path !== undefined && fieldPaths(path)) addError(fields, path, words);
    else general.push(path && path !== '/data' ? `${path.replace(/^\/data\//, '')}: ${words}` : words);
  }
  if (error.details.length === 0) general.push(error.message);
  return { fields, general };
}

/** Whether the form draws a field at `pointer` (`/port`, `/auth/user`) of a schema's properties. */
export function drawsField(schema: Schema, pointer: string): boolean {
  let at: Schema | undefined = schema;
  for (const part of pointerKeys(pointer)) {
    at = at?.properties?.[part];
    if (!at) return false;
  }
  return pointer !== '';
}
