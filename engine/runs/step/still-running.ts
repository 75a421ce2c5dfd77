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
