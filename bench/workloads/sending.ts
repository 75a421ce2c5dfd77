import { fork } from 'node:child_process';
import os from 'node:os';
import { sql } from 'kysely';
import { closeSmtpPools } from '../../nodes/email/src/smtp-pools.js';
import { kill, startWaymark, type WaymarkProcess } from '../../test/operations/support/processes.js';
import { cpuBetween, postgresCpu, processCpu } from '../cpu.js';
import { scaled } from '../database.js';
import {
  auth,
  type BenchInstance,
  createInstance,
  importContacts,
  PROCESS_ENV,
  publishJourney,
  waitForRuns,
} from '../instance.js';
import type { BenchResult } from '../result.js';
import { node } from './journey.js';

/** An SMTP sink in a child process (`smtp-sink-child.ts`) that keeps only when each mail arrived. */
async function smtpSink() {
  const child = fork(new URL('../smtp-sink-child.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('error', reject);
  });
  return {
    port,
    /** The sink's CPU so far, in ms (null off Linux). */
    cpu: () => processCpu(child.pid),
    arrivals: () =>
      new Promise<number[]>((resolve) => {
        child.once('message', (m) => resolve((m as { arrivals: number[] }).arrivals));
        child.send('arrivals');
      }),
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.disconnect();
      }),
  };
}

/** A schedule tick entering every contact into email.send through one SMTP credential. */
async function mailEveryone(instance: BenchInstance, port: number, data: object): Promise<string> {
  const credential = await instance.app.inject({
    method: 'POST',
    url: '/api/credentials',
    headers: auth,
    payload: { name: 'sink', type: 'email.smtp', data: { host: '127.0.0.1', port, requireTLS: false, ...data } },
  });
  if (credential.statusCode !== 201) throw new Error(`credential: ${credential.statusCode} ${credential.body}`);
  const graph = {
    nodes: [
      node('tick', 'core.schedule', { cron: '* * * * * *', timezone: 'UTC' }, 0),
      node(
        'mail',
        'email.send',
        {
          from: 'News <news@bench.test>',
          subject: 'Hello {{ contact.attributes.n }}',
          html: '<p>Hello</p>',
          category: 'transactional',
          credential: (credential.json() as { id: string }).id,
        },
        100,
      ),
      node('exit', 'core.exit', {}, 200),
    ],
    edges: [
      { id: 'a', source: 'tick', sourceHandle: 'out', target: 'mail' },
      { id: 'b', source: 'mail', sourceHandle: 'sent', target: 'exit' },
    ],
  };
  return publishJourney(instance.app, graph, { reentry: 'once' });
}

/** The most hand-overs any one-second window held, from the times the rate gate recorded. */
async function busiestSecond(instance: BenchInstance): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select coalesce(max(n), 0)::int as n from (
      select count(*) over (order by rate_sent_at range between current row and interval '999 milliseconds' following) as n
      from messages where rate_sent_at is not null) windows`.execute(instance.runtime.db);
  return rows[0]?.n ?? 0;
}

/** Microseconds per email of the CPU ms between two readings ('n/a' when either is unknown). */
function perEmail(before: number | null, after: number | null, emails: number): number | 'n/a' {
  return before === null || after === null ? 'n/a' : Math.round(((after - before) * 1000) / emails);
}

/**
 * Emails per minute to a local SMTP sink (pooled connections) from the bench's own worker and
 * from one worker process per core (as `npm run start:worker` would run them on this machine:
 * a worker is one busy core).
 */
export async function sending(): Promise<BenchResult[]> {
  return [...(await throughput(0)), ...(await throughput(os.cpus().length))];
}

/** The worker processes' CPU so far, in ms: this one's (none started) or theirs. */
function workersCpu(processes: WaymarkProcess[]): number | null {
  if (!processes.length) return (({ user, system }) => (user + system) / 1000)(process.cpuUsage());
  let ms = 0;
  for (const p of processes) {
    const used = processCpu(p.child.pid);
    if (used === null) return null;
    ms += used;
  }
  return ms;
}

/** Every contact mailed by this process's worker (`workerProcesses` 0) or by that many worker processes. */
async function throughput(workerProcesses: number): Promise<BenchResult[]> {
  const contacts = scaled(100_000);
  const sink = await smtpSink();
  const instance = await createInstance();
  const processes: WaymarkProcess[] = [];
  try {
    await importContacts(instance.app, contacts, (i) => ({ n: i }));
    // Started before the journey is published, so that their start-up is not counted.
    processes.push(
      ...(await Promise.all(
        Array.from({ length: workerProcesses }, () => startWaymark('worker', instance.bench.url, PROCESS_ENV)),
      )),
    );
    // CPU per email is steadier than emails/min on a shared machine: it shows what a change saved.
    const worker = workersCpu(processes);
    const pg = postgresCpu();
    const sinkCpu = sink.cpu();
    if (!workerProcesses) await instance.startWorker();
    const journeyId = await mailEveryone(instance, sink.port, { maxConnections: 10 });
    await waitForRuns(instance.runtime, journeyId, ['completed', 'failed'], contacts, 900_000);
    const workerUs = perEmail(worker, workersCpu(processes), contacts);
    const pgUs = perEmail(0, cpuBetween(pg, postgresCpu()), contacts);
    const sinkUs = perEmail(sinkCpu, sink.cpu(), contacts);
    const sorted = (await sink.arrivals()).toSorted((a, b) => a - b);
    const spanMs = Math.max(1, (sorted.at(-1) ?? 0) - (sorted[0] ?? 0));
    return [
      {
        workload: workerProcesses ? `sending: SMTP sink, ${workerProcesses} worker processes` : 'sending: SMTP sink',
        metric: 'emails/min',
        value: Math.round((sorted.length / spanMs) * 60_000),
        unit: 'emails/min',
        notes: `${sorted.length} of ${contacts} delivered in ${Math.round(spanMs)} ms; CPU/email: worker ${workerUs} µs + PostgreSQL ${pgUs} µs + sink ${sinkUs} µs; goal ≥ 100k/min`,
      },
    ];
  } finally {
    for (const p of processes) await kill(p);
    closeSmtpPools();
    await instance.close();
    await sink.close();
  }
}

/** 400 emails through a 20/s credential: how close to 19 s from first to last, and never more than 20 in a second. */
export async function pacedSending(): Promise<BenchResult[]> {
  const contacts = 400;
  const sink = await smtpSink();
  const instance = await createInstance();
  try {
    await importContacts(instance.app, contacts, (i) => ({ n: i }));
    const journeyId = await mailEveryone(instance, sink.port, { maxPerSecond: 20 });
    await instance.startWorker();
    await waitForRuns(instance.runtime, journeyId, ['completed', 'failed'], contacts, 120_000);
    const sorted = (await sink.arrivals()).toSorted((a, b) => a - b);
    return [
      {
        workload: 'sending: 400 at 20/s',
        metric: 'first to last',
        value: (sorted.at(-1) ?? 0) - (sorted[0] ?? 0),
        unit: 'ms',
        notes: 'goal 19–22 s',
      },
      {
        workload: 'sending: 400 at 20/s',
        metric: 'busiest second',
        value: await busiestSecond(instance),
        unit: 'messages',
        notes: 'goal ≤ 20',
      },
    ];
  } finally {
    closeSmtpPools();
    await instance.close();
    await sink.close();
  }
}
