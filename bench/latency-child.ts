// The webhook caller and the sink of the latency workload, in a process of their own (as
// they would be in life): the server's event loop then carries only Waymark's work, and the
// lag is measured on one clock, from the call leaving here to the http.request arriving here.
// Talks to its parent over IPC: sends { port } of its sink, gets a LatencyPlan, sends LatencyLags.
import { Agent, createServer, request } from 'node:http';

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
  /** CPU the caller and the sink spent a call (ms): it shares the machine with the server. */
  callerMs: number;
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
// node:http with kept-alive sockets: fetch (undici) cost the caller 2 ms of CPU a call, a
// third of what the server spent, on the same two cores.
const agent = new Agent({ keepAlive: true });
const post = (body: string) =>
  new Promise<void>((resolve, reject) => {
    const req = request(
      plan.url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'x-waymark-secret': plan.secret },
      },
      (res) => {
        res.resume();
        res.once('end', resolve);
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    req.end(body);
  });
const cpu = process.cpuUsage();
const start = performance.now();
for (let i = 0; i < plan.warmup + plan.count; i++) {
  const id = i < plan.warmup ? `w${i}` : String(i);
  const at = performance.now();
  if (i >= plan.warmup) sentAt.set(id, at);
  calls.push(
    post(JSON.stringify({ id })).then(() => {
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
const used = process.cpuUsage(cpu);
const callerMs = (used.user + used.system) / 1000 / (plan.warmup + plan.count);
process.send?.({ accepted, arrived, callerMs } satisfies LatencyLags, () => {
  agent.destroy();
  sink.close();
  process.disconnect();
});
