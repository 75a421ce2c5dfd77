import { scaled } from '../database.js';
import { createInstance, importContacts, publishJourney } from '../instance.js';
import { cpuNote, load } from '../load.js';
import type { BenchResult } from '../result.js';
import { FIVE_NODE_GRAPH } from './journey.js';

/**
 * autocannon against a published webhook (server only: ingestion is what is measured), into a
 * workspace that already holds 100k contacts (× BENCH_SCALE), as a real one does: a lookup that
 * grows with the contacts stored shows here.
 */
export async function webhookIngestion(bareRps: number | null): Promise<BenchResult[]> {
  const instance = await createInstance();
  try {
    const stored = scaled(100_000);
    await importContacts(instance.app, stored, () => ({}));
    const journeyId = await publishJourney(instance.app, FIVE_NODE_GRAPH);
    await instance.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = instance.app.server.address() as { port: number };
    const figures = await load({
      url: `http://127.0.0.1:${port}/hooks/${journeyId}/hook`,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-waymark-secret': 'bench-secret-0123456789' },
      // Contacts new and known: the first pass creates them, later ones find them.
      bodies: Array.from({ length: scaled(50_000) }, (_, i) =>
        JSON.stringify({ email: `hook${i}@bench.test`, plan: 'pro' }),
      ),
    });
    return [
      {
        workload: 'webhook ingestion',
        metric: '202/s',
        value: Math.round(figures.rps),
        unit: 'req/s',
        ratio: bareRps ? { to: 'bare INSERT', value: figures.rps / bareRps, goal: '≥ 0.5×' } : undefined,
        notes: `${stored} contacts stored; p50 ${figures.p50} ms, p99 ${figures.p99} ms, non-2xx ${figures.non2xx}; ${cpuNote(figures)}`,
      },
    ];
  } finally {
    await instance.close();
  }
}
