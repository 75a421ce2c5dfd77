import { type JsonObject, triggerOutputOf } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { Runtime } from '../runtime.js';
import { applyOutcome, DEFAULT_RETRY, flushOutcomes } from './apply-outcome.js';
import { insertRuns, reentryLockOf } from './insert-runs.js';
import { decideTrigger } from './kernel/decide.js';
import { type CompiledVersion, definitionOf, loadVersion } from './versions.js';

export interface StartRunInput {
  journeyId: string;
  version: number;
  triggerNodeId: string;
  contactId: string | null;
  trigger: JsonObject;
}

let registryRuntime: Runtime | null = null;

/**
 * Tells the run starter which runtime's registry runs inline nodes. The worker and the app
 * call it at start; without it, steps after the trigger always go to jobs.
 */
export function useRuntimeForStarts(runtime: Runtime): void {
  registryRuntime = runtime;
}

async function versionOrThrow(db: Kysely<Database>, journeyId: string, version: number): Promise<CompiledVersion> {
  const compiled = await loadVersion(db, journeyId, version);
  if (!compiled) throw new Error(`journey ${journeyId} has no version ${version}`);
  return compiled;
}

/** The output a trigger leaves by, as its definition declares it (`triggerOutput`). */
function triggerOutput(runtime: Runtime | null, version: CompiledVersion, nodeId: string): string {
  const node = version.nodes.get(nodeId);
  const definition = node && runtime ? definitionOf(runtime.registry, node) : null;
  if (!definition || !node) return 'out';
  return triggerOutputOf(definition, node.params);
}

/**
 * Starts one run inside the caller's transaction: the run row, the trigger step and the
 * job for what follows. Returns null when the journey's re-entry rule turns the contact
 * away. (Engine part.)
 */
export async function startRun(trx: Kysely<Database>, input: StartRunInput): Promise<{ runId: string } | null> {
  const version = await versionOrThrow(trx, input.journeyId, input.version);
  const lock = input.contactId ? reentryLockOf(version) : null;
  const { rows } = await sql<{ id: string; started_at: Date }>`
    insert into runs (journey_id, version, contact_id, trigger, trigger_node_id, open_steps, reentry_lock)
    select ${input.journeyId}, ${input.version}, ${input.contactId}, ${JSON.stringify(input.trigger)}::jsonb,
      ${input.triggerNodeId}, 1, ${lock}
    where ${lock}::text is null or not exists (
      select 1 from runs r where r.journey_id = ${input.journeyId} and r.contact_id = ${input.contactId}
        and (${lock} = 'once' or r.status in ('running', 'waiting')))
    on conflict (journey_id, contact_id, reentry_lock) where reentry_lock is not null do nothing
    returning id, started_at
  `.execute(trx);
  const created = rows[0];
  if (!created) return null;
  const step = await trx
    .insertInto('steps')
    .values({
      run_id: created.id,
      journey_id: input.journeyId,
      version: input.version,
      node_id: input.triggerNodeId,
      status: 'running',
      attempts: 1,
      started_at: sql`now()`,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const node = version.nodes.get(input.triggerNodeId);
  if (!node) throw new Error(`journey ${input.journeyId} v${input.version} has no node ${input.triggerNodeId}`);
  const batch = {
    // Without a runtime (no registry) nothing runs inline: `applyOutcome` only needs the registry.
    runtime: registryRuntime ?? ({ registry: { get: () => undefined } } as unknown as Runtime),
    trx,
    version,
    run: {
      id: created.id,
      journeyId: input.journeyId,
      version: input.version,
      contactId: input.contactId,
      trigger: input.trigger,
      triggerNodeId: input.triggerNodeId,
      startedAt: new Date(created.started_at).toISOString(),
    },
    retry: DEFAULT_RETRY,
    jobs: [],
    ended: false,
  };
  const output = triggerOutput(registryRuntime, version, input.triggerNodeId);
  const ref = { id: step.id, nodeId: node.id, parentStepId: null, attempts: 1, resume: null };
  const outcome = { kind: 'next' as const, outputs: [output], output: null };
  await applyOutcome(batch, ref, node, outcome, 0, null, decideTrigger(version, node.id, output));
  await flushOutcomes(batch);
  return { runId: created.id };
}

/**
 * Starts runs for many contacts in one statement (segment, schedule and date triggers).
 * Re-entry rules apply. Returns how many started.
 */
export async function startRunsForContacts(
  trx: Kysely<Database>,
  input: { journeyId: string; version: number; triggerNodeId: string; contactIds: string[]; trigger?: JsonObject },
): Promise<number> {
  if (input.contactIds.length === 0) return 0;
  const version = await versionOrThrow(trx, input.journeyId, input.version);
  const started = await insertRuns(trx, {
    version,
    triggerNodeId: input.triggerNodeId,
    output: triggerOutput(registryRuntime, version, input.triggerNodeId),
    contacts: { ids: input.contactIds },
    trigger: input.trigger ?? {},
  });
  return started.runIds.length;
}
