import { type JsonObject, NotFoundError, WaymarkError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { CONTENT_ID } from '../content/templates.js';
import type { Database } from '../db/database.js';
import { inTransaction, type WithinChange } from '../db/transaction.js';
import { checkConfirmationTemplate } from './confirmation-template.js';
import { checkForm, type FormDefinition } from './definition.js';
import type { Form, FormSummary } from './types.js';

// A form as the API shows it, typed in types.ts (no runtime imports, so the editor reads it too).
export type { Form };

interface FormRow {
  id: string;
  version: number;
  definition: unknown;
  created_at: unknown;
  updated_at: unknown;
}

/** JSON with keys sorted at every level: jsonb reorders keys, so compare this way. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value ?? null);
}

const iso = (d: unknown) => new Date(d as Date).toISOString();

export function toForm(row: FormRow, publicUrl: string): Form {
  const url = `${publicUrl}/f/${row.id}`;
  return {
    id: row.id,
    version: row.version,
    ...(row.definition as FormDefinition),
    url,
    embed: `<script src="${url}/embed.js" async></script>`,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export async function getForm(
  db: Kysely<Database>,
  workspaceId: string,
  id: string,
  publicUrl: string,
): Promise<Form | null> {
  const row = await db
    .selectFrom('forms')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? toForm(row, publicUrl) : null;
}

/**
 * The public side (`/f/<id>`): a form's id is its URL, unique across workspaces, and names
 * the workspace its submissions land in. An id no form may have (a NUL, which PostgreSQL
 * would refuse) names none.
 */
export async function publicForm(
  db: Kysely<Database>,
  id: string,
  publicUrl: string,
): Promise<{ workspaceId: string; form: Form } | null> {
  if (!CONTENT_ID.test(id)) return null;
  const row = await db.selectFrom('forms').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? { workspaceId: row.workspace_id, form: toForm(row, publicUrl) } : null;
}

export async function listForms(db: Kysely<Database>, workspaceId: string): Promise<FormSummary[]> {
  const rows = await db.selectFrom('forms').selectAll().where('workspace_id', '=', workspaceId).orderBy('id').execute();
  return rows.map((r) => {
    const d = r.definition as unknown as FormDefinition;
    return {
      id: r.id,
      name: d.name,
      version: r.version,
      enabled: d.enabled,
      doubleOptIn: d.doubleOptIn,
      updatedAt: iso(r.updated_at),
    };
  });
}

/**
 * Form ids are unique across workspaces (a form's id is its public URL `/f/<id>`): an id
 * another workspace holds cannot be taken here. 409 `conflict`, saying only that it is taken.
 */
async function checkFormIdFree(db: Kysely<Database>, workspaceId: string, id: string): Promise<void> {
  const other = await db
    .selectFrom('forms')
    .select('id')
    .where('id', '=', id)
    .where('workspace_id', '<>', workspaceId)
    .executeTakeFirst();
  if (other) throw new WaymarkError('conflict', `the form id ${id} is taken`);
}

/** Saves a form: version 1 when new, N+1 when it changed, unchanged otherwise. */
export async function putForm(
  db: Kysely<Database>,
  workspaceId: string,
  id: string,
  form: FormDefinition,
  publicUrl: string,
  /** Runs in the transaction that stores a new or changed form, with whether it was made. */
  onSaved?: WithinChange<boolean>,
) {
  checkForm(id, form);
  return db.transaction().execute(async (trx) => {
    // A new id has no row to lock, so PUTs of it at once wait here for the first; the rest
    // see its form (200, an update) or, from another workspace, 409.
    await sql`select pg_advisory_xact_lock(hashtext(${`form:${id}`}))`.execute(trx);
    await checkFormIdFree(trx, workspaceId, id);
    if (form.confirmationTemplateId !== null)
      await checkConfirmationTemplate(trx, workspaceId, form.confirmationTemplateId);
    const current = await trx
      .selectFrom('forms')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    const definition = JSON.stringify(form);
    if (!current) {
      const row = await trx
        .insertInto('forms')
        .values({ workspace_id: workspaceId, id, version: 1, definition })
        .returningAll()
        .executeTakeFirstOrThrow();
      await onSaved?.(trx, true);
      return { created: true, form: toForm(row, publicUrl) };
    }
    if (canonical(current.definition as JsonObject) === canonical(form))
      return { created: false, form: toForm(current, publicUrl) };
    const row = await trx
      .updateTable('forms')
      .set({ version: current.version + 1, definition, updated_at: sql`now()` })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await onSaved?.(trx, false);
    return { created: false, form: toForm(row, publicUrl) };
  });
}

export async function deleteForm(
  db: Kysely<Database>,
  workspaceId: string,
  id: string,
  onDeleted?: WithinChange,
): Promise<void> {
  await inTransaction(db, async (trx) => {
    const deleted = await trx
      .deleteFrom('forms')
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(deleted.numDeletedRows) === 0) throw new NotFoundError(`no form ${id}`);
    await onDeleted?.(trx);
  });
}
