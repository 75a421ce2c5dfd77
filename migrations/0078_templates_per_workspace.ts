import { type Kysely, sql } from 'kysely';

// Template ids are chosen by people, so they are unique per workspace, as snippet names are
// (0014): one workspace's `welcome` no longer keeps another from having its own, nor tells it
// that the name is held. A template's versions carry the workspace too, so they are keyed and
// reach their template by (workspace_id, template_id). Forms stay unique across workspaces:
// a form's id is its public URL.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table template_versions add column workspace_id uuid;
    update template_versions v set workspace_id = t.workspace_id from templates t where t.id = v.template_id;
    alter table template_versions
      alter column workspace_id set not null,
      drop constraint template_versions_template_id_fkey,
      drop constraint template_versions_pkey;
    alter table templates drop constraint templates_pkey, add primary key (workspace_id, id);
    -- The key starts with the workspace: it serves the listing the index did.
    drop index templates_by_workspace;
    alter table template_versions
      add primary key (workspace_id, template_id, version),
      add foreign key (workspace_id, template_id) references templates (workspace_id, id) on delete cascade;
  `.execute(db);
}
