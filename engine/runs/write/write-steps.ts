import { type Kysely, sql } from 'kysely';
import { ASYNC_COMMIT } from '../../db/commit-mode.js';
import type { Database } from '../../db/database.js';
import { JOB_MAX_ATTEMPTS, STEP_BATCH_SIZE, STEP_TASK } from '../bookkeeping.js';
import type { CounterDelta, Transition } from '../kernel/decide.js';

/** One step's transition to record. */
export interface StepWrite {
  stepId: string;
  /** The run's contact: an event wait is a row only for a run with one. */
  contactId: string | null;
  transition: Transition;
  /** Of the transition's next nodes, those the caller ran inline: their rows are in this write (not spawned, no job). */
  inline?: readonly string[];
  /** Set for an inline step run in memory after the step `rootId` of a job: it is created here, in the root's run. */
  create?: {
    rootId: string;
    parentStepId: string;
    nodeId: string;
  };
}

/** A step the writer created after another. */
export interface WrittenChild {
  id: string;
  parentStepId: string;
  nodeId: string;
}

/** Where a row stands in the list: what a created step may leave out (migrations/0060). */
interface Place {
  /** The step of the row before. */
  before: string | undefined;
  /** The root of the chain the row before belongs to. */
  root: string | undefined;
}

/** The next nodes a completed step's row asks the writer to spawn: those not run inline. */
function spawnOf(next: readonly string[], inline: readonly string[] | undefined): string[] | undefined {
  if (next.length === 0) return undefined;
  if (!inline?.length) return next as string[];
  const spawn = next.filter((n) => !inline.includes(n));
  return spawn.length ? spawn : undefined;
}

// Each kind's row is one object literal: on Node 20 a literal that adds keys after a spread
// (`{ ...base, output }`) takes a slow path, 3.7 µs a row against 0.02 in a microbenchmark of
// the journey's rows (engine/README.md "Hot paths"), and the writer makes one per step. What
// a row lacks is undefined, which JSON leaves out (the writer reads it as null): a batch's
// JSON is parsed by PostgreSQL, and most of a step's fields are empty. A step created in a
// chain names its node and leaves out what the list says (0060): its root is that of the rows
// before it, its contact the root's, its parent the step before it.
function row(write: StepWrite, setOf: ReadonlyMap<string, number>, place: Place) {
  const { transition: t, stepId: id } = write;
  const create = write.create;
  const counterSet = create ? undefined : setOf.get(id);
  const contactId = create ? undefined : write.contactId;
  const nodeId = create?.nodeId;
  const rootId = create && create.rootId !== place.root ? create.rootId : undefined;
  const parentStepId = create && create.parentStepId !== place.before ? create.parentStepId : undefined;
  switch (t.kind) {
    case 'complete':
      return {
        id,
        contactId,
        kind: t.kind,
        counterSet,
        nodeId,
        rootId,
        parentStepId,
        output: t.output,
        outputs: t.outputs,
        spawn: t.end ? undefined : spawnOf(t.next, write.inline),
        end: t.end?.status,
        goal: t.end?.goal,
        runOpen: t.run.open || undefined,
        error: t.error,
      };
    case 'park':
      return {
        id,
        contactId,
        kind: t.kind,
        counterSet,
        nodeId,
        rootId,
        parentStepId,
        output: t.output,
        wakeAt: t.wakeAt.toISOString(),
        timeout: t.waitsFor === 'event',
        waitEvent: t.wait?.event,
        waitFilter: t.wait?.filter,
        runWaiting: t.run.waiting || undefined,
      };
    case 'retry':
      return {
        id,
        contactId,
        kind: t.kind,
        counterSet,
        nodeId,
        rootId,
        parentStepId,
        error: t.error,
        wakeAt: t.at.toISOString(),
      };
    case 'fail':
      return {
        id,
        contactId,
        kind: t.kind,
        counterSet,
        nodeId,
        rootId,
        parentStepId,
        error: t.error,
        end: t.end.status,
      };
  }
}

/** The rows of `writes`, in order: each created step leaves out what its place in the list says. */
function rowsOf(writes: readonly StepWrite[], setOf: ReadonlyMap<string, number>) {
  const place: Place = { before: undefined, root: undefined };
  return writes.map((write) => {
    const made = row(write, setOf, place);
    place.before = write.stepId;
    place.root = write.create?.rootId ?? write.stepId;
    return made;
  });
}

type CounterSums = Required<Omit<CounterDelta, 'nodeId' | 'output'>>;

/** A batch's distinct sets of chain counters, and the set each chain's root names. */
interface ChainCounters {
  sets: CounterDelta[][];
  setOf: Map<string, number>;
}

/**
 * Each chain's counters, summed: a job's step and the inline steps after it are written
 * together or not at all (only while the root is live), so its root names them for the chain.
 * The chains of a batch take a few paths: each distinct set of deltas is sent once and a root
 * names its index (migrations/0053), where every step's deltas were a fifth of the JSON.
 */
function chainCounters(writes: readonly StepWrite[]): ChainCounters {
  const sums = new Map<string, Map<string, CounterDelta & CounterSums>>();
  for (const write of writes) {
    const root = write.create?.rootId ?? write.stepId;
    let chain = sums.get(root);
    if (!chain) {
      chain = new Map();
      sums.set(root, chain);
    }
    for (const d of write.transition.counters) {
      const key = d.output === undefined ? d.nodeId : `${d.nodeId}\n${d.output}`;
      let sum = chain.get(key);
      if (!sum) {
        sum = { nodeId: d.nodeId, output: d.output, entered: 0, completed: 0, failed: 0, waiting: 0, taken: 0 };
        chain.set(key, sum);
      }
      sum.entered += d.entered ?? 0;
      sum.completed += d.completed ?? 0;
      sum.failed += d.failed ?? 0;
      sum.waiting += d.waiting ?? 0;
      sum.taken += d.taken ?? 0;
    }
  }
  const sets: CounterDelta[][] = [];
  const setOf = new Map<string, number>();
  const indexOf = new Map<string, number>();
  for (const [root, chain] of sums) {
    if (chain.size === 0) continue;
    let key = '';
    for (const [k, d] of chain) key += `${k}\t${d.entered},${d.completed},${d.failed},${d.waiting},${d.taken}\n`;
    let index = indexOf.get(key);
    if (index === undefined) {
      index = sets.length;
      sets.push([...chain.values()].map(nonZero));
      indexOf.set(key, index);
    }
    setOf.set(root, index);
  }
  return { sets, setOf };
}

/** A delta's JSON without its zero counts (the writer reads a missing count as 0). */
const nonZero = (d: CounterDelta & CounterSums): CounterDelta => ({
  nodeId: d.nodeId,
  output: d.output,
  entered: d.entered || undefined,
  completed: d.completed || undefined,
  failed: d.failed || undefined,
  waiting: d.waiting || undefined,
  taken: d.taken || undefined,
});

/**
 * THE writer: records any list of step transitions in one statement (`waymark_write_steps`,
 * migrations/0012_kernel.ts; read once, as jsonb, since 0030_writer_reads_once.ts; its rows
 * compact since 0060_writer_reads_chains_compactly.ts) — each
 * step settled while still live, the next steps and their jobs, parked waits and their wake-up
 * jobs, retries, ended runs, node counters, the runs' token counts and the live-feed notices. Returns the steps it recorded and the children it
 * created. Each job step's attempt is counted here, and `startedAt` (its batch's start) is
 * its `started_at` unless it had one. With `asyncCommit` the caller's transaction commits with
 * synchronous_commit off (see `ASYNC_COMMIT`).
 *
 * @example
 * await writeSteps(db, [{ stepId, contactId, transition: decide(version, at, step, outcome, policy) }]);
 */
export async function writeSteps(
  db: Kysely<Database>,
  writes: readonly StepWrite[],
  options: { asyncCommit?: boolean; startedAt?: string } = {},
): Promise<{ written: number; children: WrittenChild[] }> {
  if (writes.length === 0) return { written: 0, children: [] };
  const { sets, setOf } = chainCounters(writes);
  const { rows } = await sql<{ result: { written: number; children: WrittenChild[] } }>`
    select waymark_write_steps(${JSON.stringify(rowsOf(writes, setOf))}::jsonb,
      ${JSON.stringify(sets)}::jsonb, ${STEP_TASK}::text,
      ${JOB_MAX_ATTEMPTS}::smallint, ${STEP_BATCH_SIZE}::int, ${options.startedAt ?? null}::timestamptz) as result${options.asyncCommit ? sql`, ${ASYNC_COMMIT} as mode` : sql``}
  `.execute(db);
  return rows[0]?.result ?? { written: 0, children: [] };
}
