import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql } from 'kysely';
import { loadContact } from '../../engine/contacts/load.js';
import type { Database } from '../../engine/db/database.js';
import { newId } from '../../engine/db/ids.js';
import { DEFAULT_RETRY } from '../../engine/runs/kernel/decide.js';
import type { RunRow } from '../../engine/runs/node/context.js';
import { runToken } from '../../engine/runs/step/chain.js';
import { createStepBatch, type StepBatch } from '../../engine/runs/step/step-batch.js';
import { BatchTelemetry } from '../../engine/runs/step/telemetry.js';
import { loadVersion } from '../../engine/runs/versions.js';
import { type StepWrite, writeSteps } from '../../engine/runs/write/write-steps.js';
import { createInstance, importContacts, publishJourney } from '../instance.js';
import type { BenchResult } from '../result.js';
import { FIVE_NODE_GRAPH } from './journey.js';

/** A database that answers every statement with no rows: the writer builds its statement and JSON, and sends nothing. */
const nowhere = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/**
 * The journey's chains in memory: what the worker's JavaScript costs a contact with no
 * PostgreSQL in the way. Batches of 100 tokens of the 5-node journey's condition run their
 * chain (condition, split, tag, exit) as a step batch does — the tag written in memory — and
 * go through the writer to a database that answers nothing; the first third warms up. Beside
 * the journey's CPU a step, it tells the engine's own work from the driver's, the collector's
 * and PostgreSQL's.
 */
export async function journeyChain(): Promise<BenchResult[]> {
  const batches = 300;
  const instance = await createInstance();
  try {
    const { runtime } = instance;
    await importContacts(instance.app, 1, () => ({ plan: 'pro' }));
    const journeyId = await publishJourney(instance.app, FIVE_NODE_GRAPH);
    const version = await loadVersion(runtime.db, journeyId, 1);
    const { rows } = await sql<{ id: string; workspace_id: string }>`
      select id, workspace_id from contacts limit 1`.execute(runtime.db);
    const found = rows[0];
    const contact = found ? await loadContact(runtime.db, found.workspace_id, found.id) : null;
    if (!version || !found || !contact) throw new Error('the journey or its contact is missing');
    const at = new Date().toISOString();
    const inMemory = (): StepBatch => ({
      ...createStepBatch(runtime.db, runtime.stepDb),
      addTag: async (add) => ({
        tag: add.tag,
        count: 1,
        firstAddedAt: at,
        lastAddedAt: at,
        expiresAt: null,
        active: true,
      }),
    });
    const cpu: number[] = [];
    for (let b = 0; b < batches; b++) {
      const batch = inMemory();
      const telemetry = new BatchTelemetry(runtime.metrics, runtime.logger, new Map());
      const started = process.cpuUsage();
      const writes: StepWrite[] = [];
      await Promise.all(
        Array.from({ length: 100 }, async () => {
          const run: RunRow = {
            id: newId(),
            workspaceId: found.workspace_id,
            journeyId,
            version: 1,
            contactId: contact.id,
            trigger: {},
            triggerNodeId: 'hook',
            startedAt: at,
          };
          const step = { id: newId(), nodeId: 'cond', parentStepId: newId(), attempts: 1, resume: null };
          const known = { contact, steps: { hook: { output: {} } } };
          const retry = DEFAULT_RETRY;
          writes.push(
            ...(await runToken({ runtime, db: runtime.db, version, run, step, known, retry, telemetry, batch })),
          );
        }),
      );
      await writeSteps(nowhere, writes, { asyncCommit: true, startedAt: at });
      telemetry.finish(true);
      const used = process.cpuUsage(started);
      if (writes.length !== 400) throw new Error(`a batch wrote ${writes.length} steps, not 400`);
      if (b >= batches / 3) cpu.push((used.user + used.system) / 400);
    }
    cpu.sort((x, y) => x - y);
    const median = cpu[cpu.length >> 1] ?? Number.NaN;
    return [
      {
        workload: 'journey: its chains in memory',
        metric: 'CPU a step',
        value: Math.round(median * 10) / 10,
        unit: 'µs',
        notes: `${batches} batches of 100 contacts (4 steps each), no PostgreSQL; median of the last ${cpu.length}, least ${cpu[0]?.toFixed(1)} µs`,
      },
    ];
  } finally {
    await instance.close();
  }
}
