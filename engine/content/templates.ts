import { type ErrorDetail, NotFoundError, ValidationError, WaymarkError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { inTransaction, type WithinChange } from '../db/transaction.js';
import type { Template, TemplateInput, TemplateSummary, TemplateVersion } from './types.js';

/** Template ids, snippet names and form ids: chosen by the client. */
export const CONTENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkContentId(id: string, what: string): void {
  if (!CONTENT_ID.test(id))
    throw new ValidationError(
      `${what} must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
      [{ path: '/id', message: `invalid ${what}` }],
    );
}

const iso = (d: unknown) => new Date(d as Date).toISOString();

/** The largest version number a template can reach: `template_versions.version` is a PostgreSQL integer. */
export const MAX_TEMPLATE_VERSION = 2_147_483_647;

/** One version of a template, or null. */
export async function templateVersion(db: Kysely<Database>, workspaceId: string, id: string, version?: number) {
  // A number the column cannot hold names no version; PostgreSQL would refuse to compare it.
  if (version !== undefined && !(Number.isInteger(version) && version >= 1 && version <= MAX_TEMPLATE_VERSION))
    return null;
  const row = await db
    .selectFrom('template_versions as v')
    .innerJoin('templates as t', (j) =>
      j.onRef('t.workspace_id', '=', 'v.workspace_id').onRef('t.id', '=', 'v.template_id'),
    )
    .select(['v.template_id', 'v.version', 'v.name', 'v.format', 'v.subject', 'v.body', 'v.text', 'v.saved_at'])
    .where('v.workspace_id', '=', workspaceId)
    .where('v.template_id', '=', id)
    .where('v.version', '=', version === undefined ? sql<number>`t.version` : sql<number>`${version}::int`)
    .executeTakeFirst();
  if (!row) return null;
  const found: TemplateVersion = {
    id: row.template_id,
    version: row.version,
    name: row.name,
    format: row.format,
    subject: row.subject,
    body: row.body,
    text: row.text,
    savedAt: iso(row.saved_at),
  };
  return found;
}

/** The template at its latest version with its version list, or null. */
export async function getTemplate(db: Kysely<Database>, workspaceId: string, id: string): Promise<Template | null> {
  const head = await db
    .selectFrom('templates')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!head) return null;
  const versions = await db
    .selectFrom('template_versions')
    .select(['version', 'saved_at'])
    .where('workspace_id', '=', workspaceId)
    .where('template_id', '=', id)
    .orderBy('version')
    .execute();
  const latest = await templateVersion(db, workspaceId, id);
  if (!latest) return null;
  const { savedAt: _saved, ...content } = latest;
  return {
    ...content,
    createdAt: iso(head.created_at),
    updatedAt: iso(head.updated_at),
    versions: versions.map((v) => ({ version: v.version, savedAt: iso(v.saved_at) })),
  };
}

export async function listTemplates(db: Kysely<Database>, workspaceId: string): Promise<TemplateSummary[]> {
  const rows = await db
    .selectFrom('templates as t')
    .innerJoin('template_versions as v', (j) =>
      j
        .onRef('v.workspace_id', '=', 't.workspace_id')
        .onRef('v.template_id', '=', 't.id')
        .onRef('v.version', '=', 't.version'),
    )
    .select(['t.id', 'v.name', 'v.format', 't.version', 't.updated_at'])
    .where('t.workspace_id', '=', workspaceId)
    .orderBy('t.id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    format: r.format,
    version: r.version,
    updatedAt: iso(r.updated_at),
  }));
}

const same = (a: TemplateInput, b: TemplateInput) =>
  a.name === b.name &&
  a.format === b.format &&
  a.subject === b.subject &&
  a.body === b.body &&
  (a.text ?? null) === (b.text ?? null);

/**
 * Saves a template: version 1 when new (`created`), else version N+1 — unless the content
 * equals the latest version, which saves nothing. Content is stored as given, even broken.
 */
export async function putTemplate(
  db: Kysely<Database>,
  workspaceId: string,
  id: string,
  input: TemplateInput,
  /** Runs in the transaction that stores a new version, with whether the template was made. */
  onSaved?: WithinChange<boolean>,
) {
  checkContentId(id, 'template id');
  return db.transaction().execute(async (trx) => {
    // A new id has no row to lock: PUTs of it at once wait here for the first, then update it.
    await sql`select pg_advisory_xact_lock(hashtext(${`template:${workspaceId}:${id}`}))`.execute(trx);
    const latest = await templateVersion(trx, workspaceId, id);
    if (latest && same(latest, input))
      return { created: false, template: (await getTemplate(trx, workspaceId, id)) as Template };
    const version = (latest?.version ?? 0) + 1;
    if (latest)
      await trx
        .updateTable('templates')
        .set({ version, updated_at: sql`now()` })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .execute();
    else await trx.insertInto('templates').values({ workspace_id: workspaceId, id, version }).execute();
    await trx
      .insertInto('template_versions')
      .values({
        workspace_id: workspaceId,
        template_id: id,
        version,
        name: input.name,
        format: input.format,
        subject: input.subject,
        body: input.body,
        text: input.text ?? null,
      })
      .execute();
    await onSaved?.(trx, !latest);
    return { created: !latest, template: (await getTemplate(trx, workspaceId, id)) as Template };
  });
}

/**
 * What names a template, one detail each: forms (`/forms/<id>`), and the nodes of drafts or
 * published versions of journeys not archived (`/journeys/<id>` and the node's id, as other
 * conflicts name a journey's node, server/README.md).
 */
export async function templateUsers(db: Kysely<Database>, workspaceId: string, id: string): Promise<ErrorDetail[]> {
  const forms = await db
    .selectFrom('forms')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where(sql<boolean>`definition->>'confirmationTemplateId' = ${id}`)
    .orderBy('id')
    .execute();
  const { rows } = await sql<{ id: string; name: string; node_id: string }>`
    select distinct j.id, j.name, n.node->>'id' as node_id from journeys j
    cross join lateral (
      select j.draft_graph as g union all select v.graph from journey_versions v where v.journey_id = j.id) graphs
    cross join lateral jsonb_path_query(graphs.g, '$.nodes[*] ? (@.params.template == $id)',
      jsonb_build_object('id', ${id}::text)) n(node)
    where j.workspace_id = ${workspaceId} and j.status <> 'archived'
    order by j.name, j.id, node_id`.execute(db);
  return [
    ...forms.map((f) => ({ path: `/forms/${f.id}`, message: `used by form ${f.id}` })),
    ...rows.map((j) => ({
      path: `/journeys/${j.id}`,
      nodeId: j.node_id,
      message: `used by journey ${j.name} (${j.id})`,
    })),
  ];
}

export async function deleteTemplate(
  db: Kysely<Database>,
  workspaceId: string,
  id: string,
  onDeleted?: WithinChange,
): Promise<void> {
  const users = await templateUsers(db, workspaceId, id);
  if (users.length)
    throw new WaymarkError(
      'conflict',
      `template ${id} is in use: ${[...new Set(users.map((u) => u.message))].join(', ')}`,
      users,
    );
  await inTransaction(db, async (trx) => {
    const deleted = await trx
      .deleteFrom('templates')
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(deleted.numDeletedRows) === 0) throw new NotFoundError(`no template ${id}`);
    await onDeleted?.(trx);
  });
}
