import { fork } from 'node:child_process';
import { postgresCpu, postgresCpuBetween } from '../cpu.js';
import { scaled } from '../database.js';
import { createInstance, publishJourney } from '../instance.js';
import type { LatencyLags, LatencyPlan } from '../latency-child.js';
import { type BenchResult, percentile } from '../result.js';

const SECRET = 'bench-secret-0123456789';

/**
 * Webhook → first http.request reaching a sink, at a fixed moderate rate. The caller and the
 * sink run in a child process (`latency-child.ts`); the first second of calls warms the
 * server (its connections, its compiled code) and is not counted.
 */
export async function webhookToAction(): Promise<BenchResult[]> {
  const rate = 200; // per second
  const plan = { secret: SECRET, rate, warmup: rate, count: scaled(2000) };
  const child = fork(new URL('../latency-child.ts', import.meta.url).pathname, [], {
    execArgv: ['--import', 'tsx'],
  });
  const instance = await createInstance();
  try {
    const sinkPort = await new Promise<number>((resolve, reject) => {
      child.once('message', (m) => resolve((m as { port: number }).port));
      child.once('error', reject);
    });
    const journeyId = await publishJourney(instance.app, {
      nodes: [
        { id: 'hook', type: 'core.webhook', version: 1, params: { secret: SECRET }, position: { x: 0, y: 0 } },
        {
          id: 'call',
          type: 'http.request',
          version: 1,
          params: { method: 'GET', url: `http://127.0.0.1:${sinkPort}/sink?id={{ trigger.id }}` },
          position: { x: 0, y: 100 },
        },
      ],
      edges: [{ id: 'e', source: 'hook', sourceHandle: 'out', target: 'call' }],
    });
    await instance.startWorker();
    await instance.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = instance.app.server.address() as { port: number };
    const cpu = process.cpuUsage();
    const pg = postgresCpu();
    const lags = await new Promise<LatencyLags>((resolve, reject) => {
      child.once('message', (m) => resolve(m as LatencyLags));
      child.once('exit', (code) => reject(new Error(`the latency client exited (${code})`)));
      child.send({ ...plan, url: `http://127.0.0.1:${port}/hooks/${journeyId}/hook` } satisfies LatencyPlan);
    });
    const calls = plan.warmup + plan.count;
    const used = process.cpuUsage(cpu);
    const pgMs = postgresCpuBetween(pg, postgresCpu());
    const arrived = [...lags.arrived].sort((a, b) => a - b);
    const accepted = [...lags.accepted].sort((a, b) => a - b);
    const cpuNote = `CPU/call: Waymark ${((used.user + used.system) / 1000 / calls).toFixed(2)} ms + PostgreSQL ${pgMs === null ? '?' : (pgMs / calls).toFixed(2)} ms`;
    return [
      {
        workload: 'latency: webhook → http.request',
        metric: 'p50',
        value: Math.round(percentile(arrived, 50)),
        unit: 'ms',
        notes: `${rate}/s after ${plan.warmup} warm-up calls, ${arrived.length}/${plan.count} arrived; ${cpuNote}`,
      },
      {
        workload: 'latency: webhook → http.request',
        metric: 'p99',
        value: Math.round(percentile(arrived, 99)),
        unit: 'ms',
        notes: `goal < 50 ms; the 202 itself p50 ${Math.round(percentile(accepted, 50))} / p99 ${Math.round(percentile(accepted, 99))} ms`,
      },
    ];
  } finally {
    child.kill();
    await instance.close();
  }
}
