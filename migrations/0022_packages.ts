import { type Kysely, sql } from 'kysely';

// Node packages installed through the API (contract packages.md): the tarball and its resolved
// dependencies live here so that every process, started now or later on another machine,
// loads the same bytes. Packages are code for the whole installation, not workspace data, so
// these tables have no workspace_id (installing needs `admin`).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table node_packages (
      name text not null,
      version text not null,
      integrity text not null,
      tarball bytea not null,
      manifest jsonb not null,
      dependencies jsonb not null default '{}',
      installed_at timestamptz not null default now(),
      primary key (name, version)
    )
  `.execute(db);
  await sql`
    create table node_package_dependencies (
      package_name text not null,
      package_version text not null,
      name text not null,
      version text not null,
      tarball bytea not null,
      primary key (package_name, package_version, name),
      foreign key (package_name, package_version) references node_packages (name, version) on delete cascade
    )
  `.execute(db);
  await sql`
    create table node_package_load_errors (
      name text not null,
      version text not null,
      process text not null,
      message text not null,
      at timestamptz not null default now(),
      primary key (name, version, process),
      foreign key (name, version) references node_packages (name, version) on delete cascade
    )
  `.execute(db);
  // The installed package versions a journey version runs ({ name: version }), fixed at publish.
  await sql`alter table journey_versions add column packages jsonb not null default '{}'`.execute(db);
}
