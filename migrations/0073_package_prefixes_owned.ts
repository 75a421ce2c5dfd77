import { type Kysely, sql } from 'kysely';

// Graphs name node types, not packages: a package's name kept by its workspace (0070) did not
// keep its prefix. Once that workspace removed its last version, another workspace's package of
// another name could define types under the prefix, and the first workspace's next publish
// pinned it. The prefix is now kept with the name. A name installed before is given its prefix
// at its next install.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table node_package_owners add column prefix text`.execute(db);
  await sql`create index node_package_owners_prefix on node_package_owners (prefix)`.execute(db);
}
