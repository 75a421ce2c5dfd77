import { type Kysely, sql } from 'kysely';

// Not one update of a step or a run was HOT (pg_stat_user_tables during a 100k broadcast: 160k
// step updates, 80k run updates, 0 HOT), so each wrote a new entry into every index of its
// table, a quarter of PostgreSQL's time: `steps_parked` names `status` in its predicate, and a
// step changes status at every update; `runs_failed` names `status` and `runs_ended` indexes
// `ended_at`, both set when a run ends. And pages filled at insert leave a new version no room.
// - The parked-steps gauge reads the node counters' `waiting` (the canvas's figure), not steps.
// - Retention finds ended runs among those started before its cutoff (`runs_by_workspace`).
// - Failed runs are indexed by `failure`, set when a run fails and cleared when it is retried.
// - A fifth of each new page is left for the updated versions of its rows.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index if exists steps_parked;
    drop index if exists runs_ended;
    drop index if exists runs_failed;
    create index runs_failed on runs (journey_id, ((failure ->> 'at'))) where failure is not null;
    alter table steps set (fillfactor = 80);
    alter table runs set (fillfactor = 80);
  `.execute(db);
}
