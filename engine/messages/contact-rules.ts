import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';

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
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('workspace_id', '=', workspaceId)
    .where('key', '=', KEY)
    .executeTakeFirst();
  return (row?.value as ContactRules | undefined) ?? {};
}

/** Replaces the rules. */
export async function saveContactRules(
  db: Kysely<Database>,
  workspaceId: string,
  rules: ContactRules,
): Promise<ContactRules> {
  await sql`
    insert into settings (workspace_id, key, value, updated_at)
    values (${workspaceId}, ${KEY}, ${JSON.stringify(rules)}::jsonb, now())
    on conflict (workspace_id, key) do update set value = excluded.value, updated_at = now()`.execute(db);
  return rules;
}
