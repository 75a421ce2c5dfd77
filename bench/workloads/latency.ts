import { createServer } from 'node:http';
import { scaled } from '../database.js';
import { createInstance, publishJourney } from '../instance.js';
import { type BenchResult, percentile } from '../result.js';

/** Webhook → first http.request reaching a local sink, at a fixed moderate rate. */
export async function webhookToAction(): Promise<BenchResult[]> {
  const count = scaled(2000);
  const rate = 200; // per second
  const sent = new Map<string, number>();
  const lags: number[] = [];
  const sink = createServer((req, res) => {
    const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? '';
    const at = sent.get(id);
    if (at !== undefined) lags.push(performance.now() - at);
    res.end('{}');
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const sinkPort = (sink.address() as { port: number }).port;
  const instance = await createInstance();
  try {
    const graph = {
      nodes: [
        {
          id: 'hook',
          type: 'core.webhook',
          version: 1,
          params: { secret: 'bench-secret-0123456789' },
          position: { x: 0, y: 0 },
        },
        {
          id: 'call',
          type: 'http.request',
          version: 1,
          params: { method: 'GET', url: `http://127.0.0.1:${sinkPort}/sink?id={{ trigger.id }}` },
          position: { x: 0, y: 100 },
        },
      ],
      edges: [{ id: 'e', source: 'hook', sourceHandle: 'out', target: 'call' }],
    };
    const journeyId = await publishJourney(instance.app, graph);
    await instance.startWorker();
    await instance.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = instance.app.server.address() as { port: number };
    const url = `http://127.0.0.1:${port}/hooks/${journeyId}/hook`;
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) {
      const id = String(i);
      sent.set(id, performance.now());
      pending.push(
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-waymark-secret': 'bench-secret-0123456789' },
          body: JSON.stringify({ id }),
        }),
      );
      await new Promise((r) => setTimeout(r, 1000 / rate));
    }
    await Promise.all(pending);
    const until = performance.now() + 30_000;
    while (lags.length < count && performance.now() < until) await new Promise((r) => setTimeout(r, 100));
    const sorted = [...lags].sort((a, b) => a - b);
    return [
      {
        workload: 'latency: webhook → http.request',
        metric: 'p50',
        value: Math.round(percentile(sorted, 50)),
        unit: 'ms',
        notes: `${rate}/s, ${lags.length}/${count} arrived`,
      },
      {
        workload: 'latency: webhook → http.request',
        metric: 'p99',
        value: Math.round(percentile(sorted, 99)),
        unit: 'ms',
        ratio: undefined,
        notes: 'goal < 100 ms (pitch: < 50 ms)',
      },
    ];
  } finally {
    await instance.close();
    sink.close();
  }
}
