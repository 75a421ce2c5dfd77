/** A template's or form's id, as the server takes it (engine/content/templates.ts `CONTENT_ID`). */
const CONTENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Why `id` cannot name a template or form, or null when it can. */
export function contentIdProblem(id: string): string | null {
  return CONTENT_ID.test(id)
    ? null
    : 'An id is 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit.';
}
