import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { loadSetting, saveSetting } from '../../db/settings.js';
import { inTransaction, type WithinChange } from '../../db/transaction.js';
import { retimeQuietHours } from './quiet-hours.js';

/** The install's contact rules (API.md "Contact rules and consent"); `{}` on a fresh install. */
export interface ContactRules {
  marketing?: { maxMessages: number; period: string };
  quietHours?: { start: string; end: string };
  requireConsent?: boolean;
}

const HHMM = '^([01][0-9]|2[0-3]):[0-5][0-9]$';

/** JSON Schema of the rules, for the settings route. */
export const contactRulesSchema = {
  type: 'object',
  properties: {
    marketing: {
      type: 'object',
      properties: {
        maxMessages: { type: 'integer', minimum: 0 },
        period: {
          type: 'string',
          pattern: '^P(?!$)(\\d+Y)?(\\d+M)?(\\d+W)?(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+(\\.\\d+)?S)?)?$',
        },
      },
      required: ['maxMessages', 'period'],
      additionalProperties: false,
    },
    quietHours: {
      type: 'object',
      properties: { start: { type: 'string', pattern: HHMM }, end: { type: 'string', pattern: HHMM } },
      required: ['start', 'end'],
      additionalProperties: false,
    },
    requireConsent: { type: 'boolean' },
  },
  additionalProperties: false,
} as const;

const KEY = 'contact-rules';

/** The stored rules, `{}` when none were set. */
export async function loadContactRules(db: Kysely<Database>, workspaceId: string): Promise<ContactRules> {
  return (await loadSetting<ContactRules>(db, workspaceId, KEY)) ?? {};
}

/**
 * Replaces the rules and, in the same transaction, re-times the messages quiet hours delayed
 * to the new rules at `now` (removed or shortened quiet hours release them earlier,
 * lengthened ones later).
 */
export function saveContactRules(
  db: Kysely<Database>,
  workspaceId: string,
  rules: ContactRules,
  now: Date = new Date(),
  onSaved?: WithinChange,
): Promise<ContactRules> {
  return inTransaction(db, async (trx) => {
    await saveSetting(trx, workspaceId, KEY, rules);
    await retimeQuietHours(trx, workspaceId, rules, now);
    await onSaved?.(trx);
    return rules;
  });
}
