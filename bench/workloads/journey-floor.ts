import { type Kysely, sql } from 'kysely';
import { ASYNC_COMMIT } from '../../engine/db/commit-mode.js';
import type { Database } from '../../engine/db/database.js';
import { newId } from '../../engine/db/ids.js';
import { cpuBetween, postgresCpu } from '../cpu.js';
import { scaled } from '../database.js';
import { createInstance } from '../instance.js';
import type { BenchResult } from '../result.js';
import { queueFiveNodeRuns } from './journey.js';

/** Contacts a statement writes: a step batch's. */
const BATCH = 100;
/** Statements at once: the step kernel's pool. */
const LANES = 4;

interface Entered {
  id: string;
  run_id: string;
  contact_id: string;
  workspace_id: string;
}

/**
 * The rows the 5-node journey leaves for 100 contacts, written bare in one statement: the
 * condition's step settled, the split, tag and exit steps inserted after it, the runs ended,
 * the tag and the split's unit — no engine, no reads, no JSON, no counters.
 */
async function writeRows(db: Kysely<Database>, journeyId: string, batch: Entered[]): Promise<void> {
  const roots = batch.map((r) => r.id);
  const runs = batch.map((r) => r.run_id);
  const contacts = batch.map((r) => r.contact_id);
  const [split, tag, exit] = [batch.map(() => newId()), batch.map(() => newId()), batch.map(() => newId())];
  // Committed as the writer commits a batch (ASYNC_COMMIT).
  const { rows } = await sql<{ written: string }>`
      with settled as (
        update steps set status = 'completed', output = '{"matched":true}', outputs_taken = '{yes}', attempts = 1,
          started_at = now(), finished_at = now()
        where id = any(${roots}::uuid[]) and status = 'pending'
        returning 1
      ), chain as (
        insert into steps (id, run_id, journey_id, version, node_id, parent_step_id, status, output, outputs_taken,
          attempts, started_at, finished_at)
        select c.id, c.run_id, ${journeyId}::uuid, 1, c.node_id, c.parent, 'completed', c.output, c.taken, 1, now(), now()
        from (
          select unnest(${split}::uuid[]) as id, unnest(${runs}::uuid[]) as run_id, 'split' as node_id,
            unnest(${roots}::uuid[]) as parent, '{"variant":"a","by":"weights"}'::jsonb as output, '{a}'::text[] as taken
          union all
          select unnest(${tag}::uuid[]), unnest(${runs}::uuid[]), 'tag', unnest(${split}::uuid[]), null, '{out}'
          union all
          select unnest(${exit}::uuid[]), unnest(${runs}::uuid[]), 'exit', unnest(${tag}::uuid[]), '{"goal":"done"}', '{}'
        ) c
        returning 1
      ), ended as (
        update runs set status = 'completed', ended_at = now(), outcome = 'done', open_steps = 0, waiting_steps = 0
        where id = any(${runs}::uuid[])
        returning 1
      ), tagged as (
        insert into contact_tags (contact_id, tag) select unnest(${contacts}::uuid[]), 'bench'
        on conflict (contact_id, tag) do update set count = contact_tags.count + 1, last_added_at = now()
        returning 1
      ), units as (
        insert into split_units (workspace_id, journey_id, node_id, unit, variant, by)
        select ${batch[0]?.workspace_id}::uuid, ${journeyId}::uuid, 'split', unnest(${contacts}::uuid[])::text, 'a', 'weights'
        on conflict do nothing
        returning 1
      )
      select (select count(*) from settled) + (select count(*) from chain) + (select count(*) from ended)
        + (select count(*) from tagged) + (select count(*) from units) as written, ${ASYNC_COMMIT} as mode
    `.execute(db);
  // A floor that wrote less would flatter the engine.
  if (Number(rows[0]?.written) !== 7 * batch.length) throw new Error(`the floor wrote ${rows[0]?.written} rows`);
}

/**
 * The journey's floor: what writing its rows alone costs. The 5-node journey's runs are queued
 * as for the journey workload, then, with no worker, each batch of 100 contacts gets the rows
 * the journey would leave, in one plain statement, four at a time. The journey's steps/s against
 * this shows how much of its cost is the engine rather than the rows it must write.
 */
export async function journeyFloor(): Promise<{ rows: BenchResult[]; stepsPerSecond: number }> {
  const contacts = scaled(10_000);
  const instance = await createInstance();
  try {
    const journeyId = await queueFiveNodeRuns(instance, contacts);
    const db = instance.runtime.stepDb;
    const { rows: entered } = await sql<Entered>`
      select s.id, s.run_id, r.contact_id, r.workspace_id
      from steps s join runs r on r.id = s.run_id
      where s.journey_id = ${journeyId} and s.node_id = 'cond' order by s.id
    `.execute(db);
    const batches: Entered[][] = [];
    for (let i = 0; i < entered.length; i += BATCH) batches.push(entered.slice(i, i + BATCH));
    const cpu = process.cpuUsage();
    const pg = postgresCpu();
    const started = performance.now();
    let next = 0;
    const lane = async () => {
      while (next < batches.length) await writeRows(db, journeyId, batches[next++] as Entered[]);
    };
    await Promise.all(Array.from({ length: LANES }, lane));
    const ms = performance.now() - started;
    const steps = contacts * 4;
    const stepsPerSecond = Math.round(steps / (ms / 1000));
    const used = process.cpuUsage(cpu);
    const pgMs = cpuBetween(pg, postgresCpu());
    const pgUs = pgMs === null ? 'n/a' : Math.round((pgMs * 1000) / steps);
    return {
      stepsPerSecond,
      rows: [
        {
          workload: 'journey: its rows written bare (floor)',
          metric: 'contact-steps/s',
          value: stepsPerSecond,
          unit: 'steps/s',
          notes: `${contacts} contacts, ${Math.round(ms)} ms; CPU/step: bench ${Math.round((used.user + used.system) / steps)} µs + PostgreSQL ${pgUs} µs`,
        },
      ],
    };
  } finally {
    await instance.close();
  }
}
