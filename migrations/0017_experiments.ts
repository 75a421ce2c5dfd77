import { type Kysely, sql } from 'kysely';

// Goals, analytics and experiments (issue 18). Counts live in hourly rollups that the
// engine's writer moves set-based with the changes that move them, so a read sums at most
// (nodes × outputs × metrics × hours) rows whatever the number of steps. Two kernel
// functions gain one statement each (additive): waymark_add_counters also rolls its deltas
// into the hour, and waymark_write_steps hands what it settled to waymark_write_analytics
// (split assignments). Every table holding a journey's figures carries that journey's
// workspace_id (filled from the journey by each writer below; reads filter by it).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- One number per (journey version, node, output, variant, hour, metric). node_id '' holds
    -- run-level figures; metrics: entered, completed, failed, taken (per output), converted,
    -- sent, failed-message, suppressed:<reason>, opened, clicked, replied, bounced,
    -- unsubscribed, and per split variant unit-entered, unit-goal, unit-click, unit-open, routed.
    create table journey_rollups (
      workspace_id uuid not null references workspaces (id),
      journey_id uuid not null,
      version int not null,
      node_id text not null,
      output text not null default '',
      variant text not null default '',
      hour timestamptz not null,
      metric text not null,
      n bigint not null default 0,
      primary key (journey_id, hour, version, node_id, output, variant, metric)
    );

    -- A run's one conversion: the first qualifying goal event stored for it.
    create table run_conversions (
      run_id uuid primary key references runs (id) on delete cascade,
      workspace_id uuid not null references workspaces (id),
      journey_id uuid not null,
      version int not null,
      contact_id uuid not null,
      event_id uuid not null,
      at timestamptz not null
    );

    -- A split's experiment units (a contact, or an anonymous run alone) and their first assignment.
    create table split_units (
      workspace_id uuid not null references workspaces (id),
      journey_id uuid not null,
      node_id text not null,
      unit text not null,
      variant text not null,
      by text not null,
      assigned_at timestamptz not null default now(),
      goal_at timestamptz,
      click_at timestamptz,
      open_at timestamptz,
      primary key (journey_id, node_id, unit)
    );

    -- When a split's current test period started (first assignment, or the latest reset).
    create table split_tests (
      workspace_id uuid not null references workspaces (id),
      journey_id uuid not null,
      node_id text not null,
      started_at timestamptz not null,
      primary key (journey_id, node_id)
    );

    -- Every decision about a split (automatic winner, no winner, manual override); the
    -- standing one has cleared_at null.
    create table split_decisions (
      id uuid primary key default gen_random_uuid(),
      workspace_id uuid not null references workspaces (id),
      journey_id uuid not null,
      node_id text not null,
      kind text not null check (kind in ('winner', 'no-winner', 'override')),
      variant text,
      at timestamptz not null default now(),
      method text not null,
      metric text not null,
      confidence double precision not null,
      p_value double precision,
      reason text,
      figures jsonb not null default '[]',
      cleared_at timestamptz
    );
    create unique index split_decisions_standing on split_decisions (journey_id, node_id) where cleared_at is null;
    create index split_decisions_history on split_decisions (journey_id, node_id, at);

    -- Experiments read a split's figures across hours and versions.
    create index journey_rollups_by_node on journey_rollups (journey_id, node_id, metric, variant) include (n);

    -- The first open, click, reply and unsubscribe of each message (engagement counts once).
    create table message_firsts (
      message_id uuid not null,
      kind text not null,
      primary key (message_id, kind)
    );

    -- A message's sent, suppressed (by reason), failed and bounced figures go into the
    -- rollups of its run's version as its row changes, whichever path writes it.
    create function waymark_message_rollups() returns trigger language plpgsql as $$
    declare
      v int;
      deltas json;
    begin
      if new.run_id is null or new.journey_id is null or new.node_id is null then return null; end if;
      select version into v from runs where id = new.run_id;
      if v is null then return null; end if;
      select coalesce(json_agg(x), '[]') into deltas from (
        select 'sent' as metric, coalesce(new.sent_at, now()) as hour
          where new.status = 'sent' and (tg_op = 'INSERT' or old.status is distinct from 'sent')
        union all
        select 'suppressed:' || coalesce(new.reason, 'unknown'), new.created_at
          where new.status = 'suppressed' and (tg_op = 'INSERT' or old.status is distinct from 'suppressed')
        union all
        select 'failed-message', new.created_at
          where new.status = 'failed' and (tg_op = 'INSERT' or old.status is distinct from 'failed')
        union all
        select 'bounced', now()
          where new.bounce is not null and (tg_op = 'INSERT' or old.bounce is null)
      ) x;
      perform waymark_add_rollups((select coalesce(json_agg(json_build_object('journeyId', new.journey_id,
          'version', v, 'nodeId', new.node_id, 'metric', d ->> 'metric', 'hour', d ->> 'hour', 'n', 1)), '[]')
        from json_array_elements(deltas) d));
      return null;
    end
    $$;
    create trigger messages_rollups after insert or update of status, bounce on messages
      for each row execute function waymark_message_rollups();

    -- Adds rollup rows [{ journeyId, version, nodeId?, output?, variant?, hour?, metric, n }]
    -- (hour default now), summed per key, in key order (two writers never wait in a circle).
    create function waymark_add_rollups(deltas json) returns void language sql as $$
      -- Each row in its journey's workspace.
      insert into journey_rollups (workspace_id, journey_id, version, node_id, output, variant, hour, metric, n)
      select j.workspace_id, d."journeyId", d.version, coalesce(d."nodeId", ''),
        coalesce(d.output, ''), coalesce(d.variant, ''), date_trunc('hour', coalesce(d.hour, now()), 'UTC'), d.metric, sum(d.n)
      from json_to_recordset(deltas) as d("journeyId" uuid, version int, "nodeId" text, output text, variant text,
        hour timestamptz, metric text, n bigint)
        join journeys j on j.id = d."journeyId"
      where d.n <> 0
      group by 1, 2, 3, 4, 5, 6, 7, 8
      order by 2, 7, 3, 4, 5, 6, 8
      on conflict (journey_id, hour, version, node_id, output, variant, metric) do update set
        n = journey_rollups.n + excluded.n
    $$;

    -- As in 0012, plus: entered, completed, failed and taken also go into the hour's rollups.
    create or replace function waymark_add_counters(deltas json) returns void language sql as $$
      insert into node_counters (journey_id, version, node_id, output, shard, entered, completed, failed, waiting, taken)
      select d."journeyId", d.version, d."nodeId", coalesce(d.output, ''), s.shard,
        sum(coalesce(d.entered, 0)), sum(coalesce(d.completed, 0)), sum(coalesce(d.failed, 0)),
        sum(coalesce(d.waiting, 0)), sum(coalesce(d.taken, 0))
      from json_to_recordset(deltas) as d("journeyId" uuid, version int, "nodeId" text, output text,
          entered bigint, completed bigint, failed bigint, waiting bigint, taken bigint)
        cross join (select (1 + floor(random() * 32767))::int as shard) s
      group by 1, 2, 3, 4, 5
      order by 1, 2, 3, 4
      on conflict (journey_id, version, node_id, output, shard) do update set
        entered = node_counters.entered + excluded.entered,
        completed = node_counters.completed + excluded.completed,
        failed = node_counters.failed + excluded.failed,
        waiting = node_counters.waiting + excluded.waiting,
        taken = node_counters.taken + excluded.taken;

      select waymark_add_rollups(coalesce(json_agg(json_build_object('journeyId', d."journeyId", 'version', d.version,
          'nodeId', d."nodeId", 'output', d.output, 'metric', m.metric, 'n', m.n)), '[]'))
      from json_to_recordset(deltas) as d("journeyId" uuid, version int, "nodeId" text, output text,
          entered bigint, completed bigint, failed bigint, taken bigint)
        cross join lateral (values ('entered', d.entered), ('completed', d.completed), ('failed', d.failed),
          ('taken', d.taken)) as m(metric, n)
      where coalesce(m.n, 0) <> 0;
    $$;

    -- What the writer settled (its "done" rows) that experiments count: each split step's
    -- assignment. A unit's first assignment is kept; one by weight counts as entered, one by a
    -- standing decision as routed.
    create function waymark_write_analytics(done json) returns void language sql as $$
      with d as (
        select d.journey_id, d.version, d.node_id, d.run_id, d."contactId" as contact_id,
          d.output ->> 'variant' as variant, coalesce(d.output ->> 'by', 'weights') as by
        from json_to_recordset(done) as d(journey_id uuid, version int, node_id text, run_id uuid,
          "contactId" uuid, kind text, output jsonb)
        where d.kind = 'complete' and jsonb_typeof(d.output -> 'variant') = 'string'
          and exists (select 1 from journey_versions v cross join lateral jsonb_array_elements(v.graph -> 'nodes') n
            where v.journey_id = d.journey_id and v.version = d.version
              and n ->> 'id' = d.node_id and n ->> 'type' = 'core.split')
      ), tests as (
        insert into split_tests (workspace_id, journey_id, node_id, started_at)
        select distinct j.workspace_id, d.journey_id, d.node_id, now() from d join journeys j on j.id = d.journey_id
        order by 2, 3
        on conflict do nothing
      ), units as (
        insert into split_units (workspace_id, journey_id, node_id, unit, variant, by)
        select distinct on (d.journey_id, d.node_id, coalesce(d.contact_id::text, 'run:' || d.run_id))
          j.workspace_id, d.journey_id, d.node_id,
          coalesce(d.contact_id::text, 'run:' || d.run_id), d.variant, d.by
        from d join journeys j on j.id = d.journey_id order by d.journey_id, d.node_id, coalesce(d.contact_id::text, 'run:' || d.run_id)
        on conflict do nothing
        returning journey_id, node_id, variant, by
      )
      select waymark_add_rollups(coalesce((select json_agg(x) from (
        select u.journey_id as "journeyId", 0 as version, u.node_id as "nodeId", u.variant, 'unit-entered' as metric, 1 as n
        from units u where u.by = 'weights'
        union all
        select d.journey_id, d.version, d.node_id, d.variant, 'routed', 1 from d where d.by <> 'weights'
      ) x), '[]'));
    $$;

  `.execute(db);

  // ===== waymark_write_steps, redefined: its own statement =====================================
  await sql`
    -- As in 0016_failures, with ONE statement added before the live-feed notices:
    --   perform waymark_write_analytics(done);
    -- A later redefinition of waymark_write_steps must keep that line.
    create or replace function waymark_write_steps(transitions json, step_task text, job_attempts smallint, batch_size int)
    returns json language plpgsql as $$
    declare
      done json;
      children json;
      written int;
      fired int;
    begin
      -- The job steps, locked in id order; only those still live may write anything.
      with roots as (
        select s.id from steps s
        where s.id in (select (x ->> 'id')::uuid from json_array_elements(transitions) x where (x ->> 'create') is null)
          and s.status in ('pending', 'running')
        order by s.id
        for update
      )
      insert into steps (id, run_id, journey_id, version, node_id, parent_step_id, started_at)
      select c.id, (c.create ->> 'runId')::uuid, (c.create ->> 'journeyId')::uuid, (c.create ->> 'version')::int,
        c.create ->> 'nodeId', (c.create ->> 'parentStepId')::uuid, now()
      from json_to_recordset(transitions) as c(id uuid, "create" json)
      where c.create is not null and (c.create ->> 'rootId')::uuid in (select id from roots)
      on conflict do nothing;

      with t as (
        select * from json_to_recordset(transitions) as t(id uuid, "contactId" uuid, kind text, output jsonb,
          outputs text[], "next" text[], inline text[], "end" text, goal text, error jsonb, "wakeAt" timestamptz,
          timeout boolean, "waitEvent" text, "waitFilter" jsonb, "runOpen" int, "runWaiting" int, counters json)
      ), settled as (
        update steps s set
          status = case t.kind when 'complete' then case when t.error is null then 'completed' else 'failed' end
            when 'park' then 'waiting' when 'retry' then 'pending' else 'failed' end,
          output = case when t.kind in ('complete', 'park') then t.output else s.output end,
          outputs_taken = case when t.kind = 'complete' then t.outputs else s.outputs_taken end,
          error = case when t.kind in ('retry', 'fail', 'complete') then t.error end,
          resume = case t.kind when 'complete' then null
            when 'park' then case when t."waitEvent" is null then '{"kind":"time"}'::jsonb end
            else s.resume end,
          attempts = case t.kind when 'park' then 0 when 'complete' then greatest(s.attempts, 1) else s.attempts end,
          started_at = coalesce(s.started_at, now()),
          finished_at = case when t.kind in ('complete', 'fail') then now() end
        from t
        where s.id = t.id and s.status in ('pending', 'running')
        returning s.run_id, s.journey_id, s.version, s.node_id, t.*
      )
      select json_agg(settled), count(*) into done, written from settled;
      if written = 0 then return json_build_object('written', 0, 'children', '[]'::json); end if;

      with d as (
        select * from json_to_recordset(done) as d(id uuid, run_id uuid, journey_id uuid, version int, node_id text,
          "contactId" uuid, kind text, "next" text[], inline text[], "end" text, "wakeAt" timestamptz,
          timeout boolean, "waitEvent" text, "waitFilter" jsonb)
      ), spawned as (
        insert into steps (run_id, journey_id, version, node_id, parent_step_id)
        select d.run_id, d.journey_id, d.version, n.node_id, d.id
        from d cross join unnest(d."next") as n(node_id)
        where d.kind = 'complete' and d."end" is null
        order by d.id, n.node_id
        on conflict (parent_step_id, node_id) where parent_step_id is not null do nothing
        returning id, parent_step_id, node_id
      ), waited as (
        insert into waits (step_id, run_id, journey_id, contact_id, event_name, filter, deadline)
        select d.id, d.run_id, d.journey_id, d."contactId", d."waitEvent", d."waitFilter", d."wakeAt"
        from d where d.kind = 'park' and d."waitEvent" is not null and d."contactId" is not null
        on conflict (step_id) do nothing
      ), jobs as (
        select c.id as "stepId", c.node_id as "nodeId", null::timestamptz as "runAt", false as timeout
        from spawned c join d on d.id = c.parent_step_id
        where not (c.node_id = any(coalesce(d.inline, '{}')))
        union all
        select d.id, d.node_id, d."wakeAt", coalesce(d.timeout, false) from d where d.kind in ('park', 'retry')
      ), queued as (
        select waymark_queue_steps(json_agg(jobs), step_task, job_attempts, batch_size) as n
        from jobs having count(*) > 0
      )
      select json_build_object('children', coalesce((select json_agg(json_build_object('id', c.id,
          'parentStepId', c.parent_step_id, 'nodeId', c.node_id)) from spawned c), '[]'),
        'queued', (select sum(n) from queued))
      into children;

      -- Runs that end here (exits, failures): their other open steps are cancelled.
      perform waymark_end_runs(array_agg(e.run_id order by e.run_id), e."end", e.goal, '{}')
        from (
          select distinct on (d.run_id) d.run_id, d."end", d.goal
          from json_to_recordset(done) as d(run_id uuid, "end" text, goal text)
          where d."end" is not null order by d.run_id
        ) e
        group by e."end", e.goal;

      -- Runs that failed here: their failure (for the failures view, retries and filters) and
      -- the job that starts core.run-failed journeys, in this transaction.
      with f as (
        select distinct on (d.run_id) d.run_id, d.node_id, d.error
        from json_to_recordset(done) as d(run_id uuid, node_id text, kind text, error jsonb)
        where d.kind = 'fail' order by d.run_id, d.node_id
      ), failed as (
        update runs r set failure = jsonb_build_object('nodeId', f.node_id, 'error', f.error, 'at', now())
        from f where r.id = f.run_id and r.status = 'failed' and r.failure is null
        returning r.id, r.failure
      )
      select count(*) into fired from graphile_worker.add_jobs(array(
        select row('waymark.run-failed', json_build_object('runId', failed.id, 'failure', failed.failure), null::text, null::timestamptz,
          job_attempts, null::text, null::smallint, null::text[])::graphile_worker.job_spec
        from failed));

      -- Every other run: its token counts move as the kernel decided.
      perform waymark_move_runs(coalesce(json_agg(json_build_object('runId', d.run_id,
          'open', coalesce(d."runOpen", 0), 'waiting', coalesce(d."runWaiting", 0))), '[]'))
        from json_to_recordset(done) as d(run_id uuid, "end" text, "runOpen" int, "runWaiting" int)
        where d."end" is null;

      perform waymark_add_counters(coalesce(json_agg(json_build_object('journeyId', d.journey_id,
          'version', d.version, 'nodeId', c ->> 'nodeId', 'output', c ->> 'output', 'entered', c -> 'entered',
          'completed', c -> 'completed', 'failed', c -> 'failed', 'waiting', c -> 'waiting', 'taken', c -> 'taken')), '[]'))
        from json_to_recordset(done) as d(journey_id uuid, version int, counters json)
        cross join json_array_elements(d.counters) c;

      -- Added by 0017 (the one change): conversions' split assignments and hourly figures.
      perform waymark_write_analytics(done);

      perform pg_notify('waymark_steps', json_build_object('journeyId', d.journey_id, 'version', d.version,
          'runId', d.run_id, 'nodeId', d.node_id,
          'status', case when d.kind = 'complete' and d.error is null then 'completed' when d.kind = 'park' then 'waiting'
            else 'failed' end)::text)
        from json_to_recordset(done) as d(run_id uuid, journey_id uuid, version int, node_id text, kind text, error jsonb)
        where d.kind <> 'retry';
      return json_build_object('written', written, 'children', children -> 'children');
    end
    $$;
  `.execute(db);
}
