import { type RawBuilder, sql } from 'kysely';

/**
 * Whether the failed step of a failed `runs r` is still stored. Retention (contracts/
 * operations.md "Retention") deletes the steps of runs that ended long ago, failed ones too:
 * the run stays failed, but the step a retry runs again under its idempotency key, and the
 * tokens it would resume, are gone.
 */
export const failedStepKept: RawBuilder<boolean> = sql<boolean>`exists (select 1 from steps s
  where s.run_id = r.id and s.status = 'failed' and s.node_id = r.failure ->> 'nodeId')`;

/**
 * The one rule for which runs a retry takes up (API.md "Retrying runs"), as a condition on
 * `runs r`: `failed`, with its failure recorded and its failed step kept, of a journey not archived. The single
 * route, the bulk job and its count all apply it, so a dry run counts what a job retries.
 * The journey's row is share locked, which conflicts with the archive's lock (`lockJourney`,
 * FOR NO KEY UPDATE; a key-share lock would not): an archive waits for the retry to commit
 * and then ends the retried runs too, or commits first and the retry sees the journey
 * archived. Rows naming the journey (their key-share locks) are written beside it as before.
 *
 * @example
 * sql`select r.id from runs r where r.id = any(${ids}::uuid[]) and ${retryable}`
 */
export const retryable: RawBuilder<boolean> = sql<boolean>`(r.status = 'failed' and r.failure is not null
  and ${failedStepKept}
  and exists (select 1 from journeys j where j.id = r.journey_id and j.status <> 'archived' for share))`;
