import { scaled } from '../database.js';
import { auth, createInstance, importContacts } from '../instance.js';
import { cpuNote, load } from '../load.js';
import type { BenchResult } from '../result.js';

/**
 * autocannon against `POST /api/events` (an event on a stored contact, named by email), into a
 * workspace of 10,000 contacts (× BENCH_SCALE): the event path every API client, tracking link
 * and inbound mail takes — the insert and, in its transaction, the waits it resumes, the runs it
 * ends and the journeys it starts (none here: what is measured is the path's own cost).
 */
export async function eventIngestion(bareRps: number | null): Promise<BenchResult[]> {
  const instance = await createInstance();
  try {
    const stored = scaled(10_000);
    await importContacts(instance.app, stored, () => ({}));
    await instance.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = instance.app.server.address() as { port: number };
    const figures = await load({
      url: `http://127.0.0.1:${port}/api/events`,
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      bodies: Array.from({ length: stored }, (_, i) =>
        JSON.stringify({ email: `user${i}@bench.test`, name: 'page.viewed', properties: { path: `/p/${i % 97}` } }),
      ),
    });
    return [
      {
        workload: 'event ingestion (POST /api/events)',
        metric: '202/s',
        value: Math.round(figures.rps),
        unit: 'req/s',
        ratio: bareRps ? { to: 'bare INSERT', value: figures.rps / bareRps, goal: '' } : undefined,
        notes: `${stored} contacts stored; p50 ${figures.p50} ms, p99 ${figures.p99} ms, non-2xx ${figures.non2xx}; ${cpuNote(figures)}`,
      },
    ];
  } finally {
    await instance.close();
  }
}
