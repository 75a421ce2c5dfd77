import { sql } from 'kysely';
import { scaled } from '../database.js';
import { createInstance, importContacts, publishJourney, waitForRuns } from '../instance.js';
import type { BenchResult } from '../result.js';

/** A core.schedule tick entering every contact: time until all entered and their first step ran. */
export async function broadcast(): Promise<BenchResult[]> {
  // BENCH_BROADCAST=1000000 for the million-contact run (about 4 minutes of import and entry).
  const contacts = Number(process.env.BENCH_BROADCAST ?? 0) || scaled(100_000);
  const instance = await createInstance();
  try {
    const importMs = await importContacts(instance.app, contacts, (i) => ({ n: i }));
    const graph = {
      nodes: [
        {
          id: 'tick',
          type: 'core.schedule',
          version: 1,
          params: { cron: '* * * * * *', timezone: 'UTC' },
          position: { x: 0, y: 0 },
        },
        { id: 'exit', type: 'core.exit', version: 1, params: {}, position: { x: 0, y: 100 } },
      ],
      edges: [{ id: 'e', source: 'tick', sourceHandle: 'out', target: 'exit' }],
    };
    const journeyId = await publishJourney(instance.app, graph, { reentry: 'once' });
    await instance.startWorker();
    await waitForRuns(instance.runtime, journeyId, ['completed'], contacts, Math.max(300_000, contacts * 2));
    const { rows } = await sql<{ entered: number; ran: number; first: number }>`
      select extract(epoch from max(started_at) - min(started_at)) * 1000 as entered,
             extract(epoch from max(ended_at) - min(started_at)) * 1000 as ran,
             extract(epoch from min(ended_at) - min(started_at)) * 1000 as first
      from runs where journey_id = ${journeyId}`.execute(instance.runtime.db);
    return [
      {
        workload: 'import: NDJSON contacts',
        metric: 'contacts/s',
        value: Math.round(contacts / (importMs / 1000)),
        unit: 'contacts/s',
        notes: `${contacts} contacts in ${Math.round(importMs)} ms`,
      },
      {
        workload: 'broadcast: schedule tick',
        metric: 'all entered',
        value: Math.round(Number(rows[0]?.entered)),
        unit: 'ms',
        notes: `${contacts} contacts`,
      },
      {
        workload: 'broadcast: schedule tick',
        metric: 'first step ran for all',
        value: Math.round(Number(rows[0]?.ran)),
        unit: 'ms',
        notes: `goal < 20 s; the first run ended after ${Math.round(Number(rows[0]?.first))} ms`,
      },
    ];
  } finally {
    await instance.close();
  }
}
