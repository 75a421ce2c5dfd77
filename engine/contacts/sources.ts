import { type JsonObject, type JsonValue, ValidationError } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { loadSetting, saveSetting } from '../db/settings.js';
import type { WithinChange } from '../db/transaction.js';
import { SOURCE_PATTERN } from './identity/normalize.js';

/** Which source wins per attribute: listed sources rank in list order, above every unlisted one. */
export interface SourcePrecedence {
  default: string[];
  attributes: Record<string, string[]>;
}

const KEY = 'attribute-sources';
const EMPTY: SourcePrecedence = { default: [], attributes: {} };

export const sourcePrecedenceSchema = {
  type: 'object',
  properties: {
    default: { type: 'array', items: { type: 'string' } },
    attributes: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
  },
  required: ['default', 'attributes'],
  additionalProperties: false,
} as const;

export async function loadPrecedence(db: Kysely<Database>, workspaceId: string): Promise<SourcePrecedence> {
  return (await loadSetting<SourcePrecedence>(db, workspaceId, KEY)) ?? EMPTY;
}

/** Replaces the lists; a bad or repeated source → 400 at its pointer. Stored values stay as they are. */
export async function savePrecedence(
  db: Kysely<Database>,
  workspaceId: string,
  value: SourcePrecedence,
  onSaved?: WithinChange,
): Promise<SourcePrecedence> {
  const lists: [string, string[]][] = [
    ['/default', value.default],
    ...Object.entries(value.attributes).map(([k, v]): [string, string[]] => [`/attributes/${k}`, v]),
  ];
  const problems = lists.flatMap(([path, list]) =>
    list.flatMap((s, i) =>
      !SOURCE_PATTERN.test(s)
        ? [{ path: `${path}/${i}`, message: 'a source is 1–64 of a-z 0-9 . _ -' }]
        : list.indexOf(s) !== i
          ? [{ path: `${path}/${i}`, message: `source ${s} is listed twice` }]
          : [],
    ),
  );
  if (problems.length) throw new ValidationError('the attribute sources are invalid', problems);
  return saveSetting(db, workspaceId, KEY, value, onSaved);
}

/** `object[key]` when it is the object's own property (never a prototype's). */
export function ownValue(object: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** The rank of a source for an attribute: its list position, every unlisted source last and equal. */
export function rank(p: SourcePrecedence, attribute: string, source: string | undefined): number {
  // Own keys only: an attribute may be named like an Object method (`toString`).
  const list = (Object.hasOwn(p.attributes, attribute) ? p.attributes[attribute] : undefined) ?? p.default;
  const at = source === undefined ? -1 : list.indexOf(source);
  return at < 0 ? list.length : at;
}

/**
 * Applies an attribute write from `source` key by key (a null value removes the key): a key
 * whose value a higher-ranking source set is left alone; a written key records its source and
 * time, a removed one loses its entry.
 */
export function writeAttributes(
  current: { attributes: JsonObject; sources: JsonObject },
  patch: JsonObject,
  source: string,
  precedence: SourcePrecedence,
  at: string,
): { attributes: JsonObject; sources: JsonObject } {
  const attributes: JsonObject = { ...current.attributes };
  const sources: JsonObject = { ...current.sources };
  for (const [key, v] of Object.entries(patch) as [string, JsonValue][]) {
    const holder = (ownValue(sources, key) as { source?: string } | undefined)?.source;
    if (Object.hasOwn(attributes, key) && rank(precedence, key, holder) < rank(precedence, key, source)) continue;
    if (v === null) {
      delete attributes[key];
      delete sources[key];
    } else {
      attributes[key] = v;
      sources[key] = { source, at };
    }
  }
  return { attributes, sources };
}
