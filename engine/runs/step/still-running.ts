import DataLoader from 'dataloader';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';

/**
 * For a batch of tokens whose node calls out: whether a token's step is still `running` just
 * before its node is invoked. A cancel, an archive, an exitOn or an erase ends the run and
 * cancels its steps while the batch holds them (32 run at once; the rest wait their turn), and
 * a token whose step was cancelled must not make its call. One statement a turn of the lanes
 * reads every token not yet started; a lane that asks while one is under way takes its answer.
 * A step it was not given (an inline node's) is running: it calls no one, and is not asked about.
 *
 * @example
 * const stillRunning = runningCheck(kernel, started.map((row) => row.id));
 * if (!(await stillRunning(row.id))) return; // its run ended: no call, nothing to write
 */
export function runningCheck(db: Kysely<Database>, stepIds: readonly string[]): (stepId: string) => Promise<boolean> {
  const watched = new Set(stepIds);
  const unstarted = new Set(stepIds);
  const ended = new Set<string>();
  let reading: Promise<void> | null = null;
  const read = async () => {
    const { rows } = await sql<{ id: string }>`
      select id from steps where id = any(${[...unstarted]}::uuid[]) and status <> 'running'`.execute(db);
    for (const { id } of rows) ended.add(id);
  };
  return async (stepId) => {
    if (!watched.has(stepId)) return true;
    reading ??= read().finally(() => {
      reading = null;
    });
    await reading;
    unstarted.delete(stepId);
    return !ended.has(stepId);
  };
}

/**
 * For a batch of tokens whose node calls out: whether a token's step is still `running` once
 * its node has answered, before the inline nodes after it run in memory. A goal with
 * `exitOnGoal`, an exitOn event, a cancel, an archive or an erase may end the run during the
 * call (seconds, for a slow endpoint); the writer then drops the step and its inline steps, but
 * a tag, list or attribute write of those nodes would already have landed on the contact.
 * Asked only where inline nodes follow; the tokens answered together share one statement.
 *
 * @example
 * const goesOn = afterCallCheck(kernel);
 * if (!(await goesOn(step.id))) return; // its run ended during the call: no inline node runs
 */
export function afterCallCheck(db: Kysely<Database>): (stepId: string) => Promise<boolean> {
  const loader = new DataLoader<string, boolean>(
    async (ids) => {
      const { rows } = await sql<{ id: string }>`
        select id from steps where id = any(${[...ids]}::uuid[]) and status = 'running'`.execute(db);
      const running = new Set(rows.map((r) => r.id));
      return ids.map((id) => running.has(id));
    },
    { cache: false, maxBatchSize: 500 },
  );
  return (stepId) => loader.load(stepId);
}
