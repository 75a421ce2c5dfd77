import { type ErrorDetail, ValidationError } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { loadSetting, saveSetting } from '../db/settings.js';
import type { WithinChange } from '../db/transaction.js';

/** What retention covers (API.md "Retention"). */
export const RETAINED = ['steps', 'events', 'messages'] as const;
export type Retained = (typeof RETAINED)[number];

/** How long each kind of data is kept, as ISO 8601 durations; a key left out keeps it for ever. */
export type RetentionSettings = Partial<Record<Retained, string>>;

const KEY = 'retention';
// Whole years, months, weeks and days only: a retention is a calendar matter, not a stopwatch.
const DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$/;
const LONGEST_YEARS = 1000;

/** A retention duration as a PostgreSQL interval, or null when it is not one of at least a day. */
export function retentionInterval(text: string): string | null {
  const match = DURATION.exec(text);
  if (!match || text === 'P') return null;
  const [years, months, weeks, days] = match.slice(1).map((n) => Number(n ?? 0)) as [number, number, number, number];
  if (years + months + weeks + days === 0) return null;
  // Longer than PostgreSQL's dates reach back (P9999Y, P99999999999D) is the same as a
  // thousand years: nothing is that old, and now() minus it stays a valid timestamp.
  if (years + months / 12 + (weeks * 7 + days) / 365 >= LONGEST_YEARS) return `${LONGEST_YEARS} years`;
  return `${years} years ${months} months ${weeks * 7 + days} days`;
}

/**
 * Checks a PUT body: an object of known keys, each a duration of at least one day or null
 * (not stored). Throws ValidationError naming every bad key by JSON pointer.
 *
 * @example
 * parseRetention({ steps: 'P90D', events: null }); // { steps: 'P90D' }
 */
export function parseRetention(body: unknown): RetentionSettings {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new ValidationError('the retention settings must be an object', [
      { path: '', message: 'expected an object' },
    ]);
  const details: ErrorDetail[] = [];
  const settings: RetentionSettings = {};
  for (const [key, value] of Object.entries(body)) {
    const path = `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (!(RETAINED as readonly string[]).includes(key)) {
      details.push({ path, message: `unknown key "${key}": use ${RETAINED.join(', ')}` });
      continue;
    }
    if (value === null) continue;
    if (typeof value !== 'string' || retentionInterval(value) === null) {
      details.push({
        path,
        message: `${key} must be an ISO 8601 duration of whole years, months, weeks and days of at least one day (P90D, P6M, P1Y2M), or null`,
      });
      continue;
    }
    settings[key as Retained] = value;
  }
  if (details.length) throw new ValidationError('the retention settings are not valid', details);
  return settings;
}

/** A workspace's stored settings (`{}` until set: each workspace keeps everything until it says otherwise). */
export async function loadRetention(db: Kysely<Database>, workspaceId: string): Promise<RetentionSettings> {
  return (await loadSetting<RetentionSettings>(db, workspaceId, KEY)) ?? {};
}

/** Replaces a workspace's stored settings; `onSaved` runs in the same transaction. */
export function saveRetention(
  db: Kysely<Database>,
  workspaceId: string,
  settings: RetentionSettings,
  onSaved?: WithinChange,
): Promise<RetentionSettings> {
  return saveSetting(db, workspaceId, KEY, settings, onSaved);
}
