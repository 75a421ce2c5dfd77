/**
 * The paths the editor draws a page for (editor/src/lib/router/router.svelte.ts `parseRoute`:
 * keep the two in step): each answers the editor's index.html, any other unknown path the JSON
 * 404 (API.md "Errors": unknown routes answer a JSON 404).
 */
const PAGES = [
  /^\/$/,
  /^\/(journeys|contacts|outbox|team|history|packages|credentials|sign-in|templates|forms)\/?$/,
  /^\/(journeys|templates|forms|setup|invite|reset-password)\/[^/]+\/?$/,
];

/** Whether `path` (decoded, slashes collapsed) is a page of the editor. */
export function isEditorPage(path: string): boolean {
  return PAGES.some((page) => page.test(path));
}
