import { fork } from 'node:child_process';
import { kill, startWaymark, type WaymarkProcess } from '../../test/operations/support/processes.js';
import { cpuBetween, postgresCpu, processCpu } from '../cpu.js';
import { scaled } from '../database.js';
import { createInstance, PROCESS_ENV, publishJourney } from '../instance.js';
import type { LatencyLags, LatencyPlan } from '../latency-child.js';
import { type BenchResult, percentile } from '../result.js';

const SECRET = 'bench-secret-0123456789';
const RATE = Number(process.env.BENCH_LATENCY_RATE ?? 200); // calls per second

/** Where the webhook is served and its steps run. */
type Topology = 'one process' | 'server + worker processes';

/**
 * Webhook → first http.request reaching a sink, at a fixed moderate rate, served two ways:
 * by one process (`npm start`: the server runs the worker), and by a server process and a
 * worker process (`npm run start:server` + `start:worker`, as a deployment would). The caller
 * and the sink run in a child process (`latency-child.ts`); the first second of calls warms
 * the server (its connections, its compiled code) and is not counted.
 */
export async function webhookToAction(): Promise<BenchResult[]> {
  return [...(await measure('one process')), ...(await measure('server + worker processes'))];
}

async function measure(topology: Topology): Promise<BenchResult[]> {
  const plan = { secret: SECRET, rate: RATE, warmup: RATE, count: scaled(2000) };
  const child = fork(new URL('../latency-child.ts', import.meta.url).pathname, [], {
    execArgv: ['--import', 'tsx'],
  });
  const instance = await createInstance();
  const processes: WaymarkProcess[] = [];
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
    let port: number;
    if (topology === 'one process') {
      await instance.startWorker();
      await instance.app.listen({ port: 0, host: '127.0.0.1' });
      port = (instance.app.server.address() as { port: number }).port;
    } else {
      const env = { ...PROCESS_ENV, WAYMARK_HTTP_ALLOW_PRIVATE: 'true' };
      processes.push(await startWaymark('server', instance.bench.url, env));
      processes.push(await startWaymark('worker', instance.bench.url, env));
      port = processes[0]?.port as number;
    }
    const pids = processes.map((p) => p.child.pid);
    const waymarkCpu = (): number => {
      if (topology !== 'one process') return pids.reduce<number>((sum, pid) => sum + (processCpu(pid) ?? 0), 0);
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    };
    const cpu = waymarkCpu();
    const pg = postgresCpu();
    const lags = await new Promise<LatencyLags>((resolve, reject) => {
      child.once('message', (m) => resolve(m as LatencyLags));
      child.once('exit', (code) => reject(new Error(`the latency client exited (${code})`)));
      child.send({ ...plan, url: `http://127.0.0.1:${port}/hooks/${journeyId}/hook` } satisfies LatencyPlan);
    });
    const calls = plan.warmup + plan.count;
    const used = waymarkCpu() - cpu;
    const pgMs = cpuBetween(pg, postgresCpu());
    const arrived = [...lags.arrived].sort((a, b) => a - b);
    const accepted = [...lags.accepted].sort((a, b) => a - b);
    const cpuNote = `CPU/call: Waymark ${(used / calls).toFixed(2)} ms + PostgreSQL ${pgMs === null ? '?' : (pgMs / calls).toFixed(2)} ms (the caller and sink ${lags.callerMs.toFixed(2)} ms)`;
    const workload = `latency: webhook → http.request (${topology})`;
    return [
      {
        workload,
        metric: 'p50',
        value: Math.round(percentile(arrived, 50)),
        unit: 'ms',
        notes: `${RATE}/s after ${plan.warmup} warm-up calls, ${arrived.length}/${plan.count} arrived; ${cpuNote}`,
      },
      {
        workload,
        metric: 'p99',
        value: Math.round(percentile(arrived, 99)),
        unit: 'ms',
        notes: `goal < 50 ms; the 202 itself p50 ${Math.round(percentile(accepted, 50))} / p99 ${Math.round(percentile(accepted, 99))} ms`,
      },
    ];
  } finally {
    child.kill();
    await Promise.all(processes.map(kill));
    await instance.close();
  }
}
