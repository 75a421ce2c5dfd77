import type { Schema } from '../api/types/catalogue.ts';
import type { GraphError } from '../api/types/journeys.ts';
import { labelOf } from '../schema/fields.ts';
import { pointerKeys } from '../schema/pointer.ts';

/**
 * The server's problems read as a marketer reads the canvas: a node by the title it shows, not
 * its id, and a field's problem without the JSON pointer the field (or its label) already names.
 * The API writes `"/secret must NOT have fewer than 16 characters"` and `"node nzx cannot be
 * reached from any trigger"`; the editor shows `must NOT have fewer than 16 characters` under
 * Secret and `node “Exit” cannot be reached from any trigger`.
 */
export function readableProblems(errors: GraphError[], titleOf: (nodeId: string) => string | undefined): GraphError[] {
  return errors.map((error) => ({ ...error, message: namedNodes(withoutPointer(error), titleOf) }));
}

/** The message without the leading pointer (`params` for the whole params) its `path` repeats. */
function withoutPointer({ path, message }: GraphError): string {
  if (path === undefined) return message;
  const lead = path === '' ? 'params ' : `${path} `;
  return message.startsWith(lead) ? message.slice(lead.length) : message;
}

/** Node ids, where a message names one (`node n1`, `"n1"`), as the node's title. */
function namedNodes(message: string, titleOf: (nodeId: string) => string | undefined): string {
  return message
    .replace(/\bnode ([\w-]+)/g, (whole, id: string) => {
      const title = titleOf(id);
      return title === undefined ? whole : `node “${title}”`;
    })
    .replace(/"([\w-]+)"/g, (whole, id: string) => {
      const title = titleOf(id);
      return title === undefined ? whole : `“${title}”`;
    });
}

/**
 * Where a problem sits in a node's params, in its form's labels (`/until/time` → `Wait until ›
 * Time (HH:MM)`); a part the schema does not describe (an array index, a setting) as written.
 */
export function fieldPlace(params: Schema | undefined, path: string): string {
  const parts = pointerKeys(path);
  const words: string[] = [];
  let at = params;
  for (const part of parts) {
    const sub = at?.properties?.[part] ?? (/^\d+$/.test(part) ? at?.items : undefined);
    if (sub && at?.properties?.[part]) words.push(labelOf(part, sub));
    else if (/^\d+$/.test(part)) words.push(`#${Number(part) + 1}`);
    else words.push(part);
    at = sub;
  }
  return words.join(' › ');
}
