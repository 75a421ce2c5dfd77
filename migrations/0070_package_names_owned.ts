import { type Kysely, sql } from 'kysely';

// Packages are code for the whole installation, and any signed-in user may make a workspace of
// their own and be its admin: a version of a package another workspace's journeys use, installed
// from there, would run on that workspace's contacts at its next publish (which pins the highest
// installed version). So a package's name belongs to the workspace that first installed it;
// only that workspace installs and removes its versions. Names already installed go to the
// workspace whose audit log recorded their first install, else to the first workspace.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table node_package_owners (
      name text primary key,
      workspace_id uuid not null references workspaces (id)
    )
  `.execute(db);
  await sql`
    insert into node_package_owners (name, workspace_id)
    select p.name, coalesce(
      (select a.workspace_id from audit_log a
        where a.action = 'package.installed' and left(a.object_id, length(p.name) + 1) = p.name || '@'
        order by a.seq limit 1),
      (select w.id from workspaces w order by w.created_at, w.id limit 1))
    from (select distinct name from node_packages) p
    where exists (select 1 from workspaces)
  `.execute(db);
}
