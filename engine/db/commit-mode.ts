import { sql } from 'kysely';

/**
 * SQL that makes the statement (or transaction) it is evaluated in commit with
 * synchronous_commit off. Used where a later synchronous commit is bound to follow and
 * flushes the WAL up to it, e.g. a step's transaction, which graphile-worker's job
 * completion (synchronous) always follows: lost in a crash, the step simply runs again.
 */
export const ASYNC_COMMIT = sql<string>`set_config('synchronous_commit', 'off', true)`;
