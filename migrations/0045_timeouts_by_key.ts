import { type Kysely, sql } from 'kysely';

// The statement that claims event waits past their deadline had the shape the start of a
// batch had before 0044: top-level, on a plan cached while the steps table was small, it may
// read every step until the next analyze. As a kernel function it reads its steps by key.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Event waits whose deadline passed resume with timeout unless an event got there first
    -- (whoever sets resume first wins); their wait rows go. Returns the steps claimed.
    create function waymark_claim_timeouts(step_ids uuid[]) returns setof uuid language plpgsql as $$
    begin
      return query
      with claimed as (
        update steps set resume = '{"kind":"timeout"}'::jsonb
        where id = any(step_ids) and status = 'waiting' and resume is null
        returning id
      ), dropped as (
        delete from waits w using claimed c where w.step_id = c.id
      )
      select c.id from claimed c;
    end
    $$;

    alter function waymark_claim_timeouts(uuid[]) set enable_seqscan = off;
    alter function waymark_claim_timeouts(uuid[]) set plan_cache_mode = force_generic_plan;
  `.execute(db);
}
