// The webhook caller and the sink of the latency workload, in a process of their own (as
// they would be in life): the server's event loop then carries only Waymark's work, and the
// lag is measured on one clock, from the call leaving here to the http.request arriving here.
// Talks to its parent over IPC: sends { port } of its sink, gets a LatencyPlan, sends LatencyLags.
import { createServer } from 'node:http';

/** What the parent asks for: `warmup` calls not counted, then `count` counted, at `rate` per second. */
export interface LatencyPlan {
  url: string;
  secret: string;
  rate: number;
  warmup: number;
  count: number;
}

/** Lags in ms of the counted calls: to the 202, and to the sink. */
export interface LatencyLags {
  accepted: number[];
  arrived: number[];
}

const sentAt = new Map<string, number>();
const arrived: number[] = [];
const sink = createServer((req, res) => {
  const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? '';
  const at = sentAt.get(id);
  if (at !== undefined) arrived.push(performance.now() - at);
  res.end('{}');
});
await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
const plan = await new Promise<LatencyPlan>((resolve) => {
  process.once('message', (m) => resolve(m as LatencyPlan));
  process.send?.({ port: (sink.address() as { port: number }).port });
});

const accepted: number[] = [];
const calls: Promise<unknown>[] = [];
const start = performance.now();
for (let i = 0; i < plan.warmup + plan.count; i++) {
  const id = i < plan.warmup ? `w${i}` : String(i);
  const at = performance.now();
  if (i >= plan.warmup) sentAt.set(id, at);
  calls.push(
    fetch(plan.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-waymark-secret': plan.secret },
      body: JSON.stringify({ id }),
    }).then(async (res) => {
      await res.arrayBuffer();
      if (i >= plan.warmup) accepted.push(performance.now() - at);
    }),
  );
  // Paced from the start, so that a slow call does not slow the rate.
  const next = start + ((i + 1) * 1000) / plan.rate;
  await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
}
await Promise.all(calls);
const until = performance.now() + 30_000;
while (arrived.length < plan.count && performance.now() < until) await new Promise((r) => setTimeout(r, 100));
process.send?.({ accepted, arrived } satisfies LatencyLags, () => {
  sink.close();
  process.disconnect();
});
