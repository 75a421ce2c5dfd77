import DataLoader from 'dataloader';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';

/**
 * For a batch of tokens whose node calls out: whether a token's step is still `running`. A
 * cancel, an archive, an exitOn, a goal with `exitOnGoal` or an erase ends the run while the
 * batch holds it (an erase removes its steps: a step not found is not running), and then:
 * - asked before the token's call, as it leaves its turn in the lanes (32 run at once, the
 *   rest wait): a token whose run ended must not make its call. `readAhead` names the batch's
 *   tokens not asked about yet: each statement reads them too, so a lane that asks while one
 *   is under way takes its answer rather than a statement of its own;
 * - asked after the call, before the inline nodes after it run in memory (the call may take
 *   seconds): a tag, list or attribute write of theirs must not land on the contact (the
 *   writer would drop the steps, but not the write).
 * The asks of one turn share one statement.
 *
 * @example
 * const beforeCall = stillRunning(kernel, calling); // read ahead for the lanes
 * if (!(await beforeCall(row.id))) return; // its run ended: no call, nothing to write
 * const afterCall = stillRunning(kernel);
 * if (!(await afterCall(step.id))) return; // ended during the call: no inline node runs
 */
export function stillRunning(
  db: Kysely<Database>,
  readAhead: readonly string[] = [],
): (stepId: string) => Promise<boolean> {
  const unasked = new Set(readAhead);
  let reading: { ids: ReadonlySet<string>; running: Promise<ReadonlySet<string>> } | null = null;
  const read = (asked: readonly string[]) => {
    const ids = new Set([...asked, ...unasked]);
    const running: Promise<ReadonlySet<string>> = runningAmong(db, [...ids]).finally(() => {
      if (reading?.running === running) reading = null;
    });
    reading = { ids, running };
    return running;
  };
  const loader = new DataLoader<string, boolean>(
    async (asked) => {
      const running = await read(asked);
      return asked.map((id) => running.has(id));
    },
    { cache: false, maxBatchSize: 500 },
  );
  return async (stepId) => {
    unasked.delete(stepId);
    const underWay = reading;
    return underWay?.ids.has(stepId) ? (await underWay.running).has(stepId) : loader.load(stepId);
  };
}

/** Of `stepIds`, those whose status is `running`. */
async function runningAmong(db: Kysely<Database>, stepIds: readonly string[]): Promise<ReadonlySet<string>> {
  const { rows } = await sql<{ id: string }>`
    select id from steps where id = any(${stepIds}::uuid[]) and status = 'running'`.execute(db);
  return new Set(rows.map((r) => r.id));
}
