import { writeFileSync } from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import { ADMIN_URL } from './database.js';
import type { BenchResult } from './result.js';
import { bareInsert } from './workloads/bare-insert.js';
import { broadcast } from './workloads/broadcast.js';
import { canvasOpen } from './workloads/canvas.js';
import { ceiling } from './workloads/ceiling.js';
import { eventIngestion } from './workloads/events.js';
import { computedRefresh, mergeWithManyEvents } from './workloads/identity.js';
import { inboundReplies } from './workloads/inbound.js';
import { journeyThroughput } from './workloads/journey.js';
import { journeyChain } from './workloads/journey-chain.js';
import { journeyFloor } from './workloads/journey-floor.js';
import { webhookToAction } from './workloads/latency.js';
import { packageSteps } from './workloads/packages.js';
import { scaleOut } from './workloads/scale-out.js';
import { segmentPreview } from './workloads/segments.js';
import { pacedSending, sending } from './workloads/sending.js';
import { parkedWaits, shortWaits } from './workloads/waits.js';
import { webhookIngestion } from './workloads/webhook.js';

type Workload = { name: string; run: (context: Context) => Promise<BenchResult[]> };
interface Context {
  ceilingJobsPerSecond: number | null;
  /** The journey's rows written bare (`journey-floor`), when it ran. */
  floorStepsPerSecond: number | null;
  bareInsertRps: number | null;
}

const WORKLOADS: Workload[] = [
  {
    name: 'ceiling',
    run: async (ctx) => {
      const rows = await ceiling();
      ctx.ceilingJobsPerSecond = rows[0]?.value ?? null;
      return rows;
    },
  },
  {
    name: 'bare-insert',
    run: async (ctx) => {
      const { rows, rps } = await bareInsert();
      ctx.bareInsertRps = rps;
      return rows;
    },
  },
  {
    name: 'journey-floor',
    run: async (ctx) => {
      const { rows, stepsPerSecond } = await journeyFloor();
      ctx.floorStepsPerSecond = stepsPerSecond;
      return rows;
    },
  },
  { name: 'journey-chain', run: () => journeyChain() },
  { name: 'journey', run: (ctx) => journeyThroughput(ctx.ceilingJobsPerSecond, ctx.floorStepsPerSecond) },
  { name: 'webhook', run: (ctx) => webhookIngestion(ctx.bareInsertRps) },
  { name: 'events', run: (ctx) => eventIngestion(ctx.bareInsertRps) },
  { name: 'latency', run: () => webhookToAction() },
  { name: 'waits', run: () => parkedWaits() },
  { name: 'short-waits', run: () => shortWaits() },
  { name: 'broadcast', run: () => broadcast() },
  { name: 'segments', run: () => segmentPreview() },
  { name: 'inbound', run: (ctx) => inboundReplies(ctx.bareInsertRps) },
  { name: 'canvas', run: () => canvasOpen() },
  { name: 'computed', run: () => computedRefresh() },
  { name: 'merge', run: () => mergeWithManyEvents() },
  { name: 'sending', run: () => sending() },
  { name: 'sending-paced', run: () => pacedSending() },
  { name: 'packages', run: () => packageSteps() },
];

async function machine(): Promise<string> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  const { rows } = await client.query<{ server_version: string }>('show server_version');
  await client.end();
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, PostgreSQL ${rows[0]?.server_version}, BENCH_SCALE=${process.env.BENCH_SCALE ?? '1'}`;
}

function table(results: BenchResult[]): string {
  const lines = ['| workload | metric | value | vs | goal | notes |', '| --- | --- | --- | --- | --- | --- |'];
  for (const r of results) {
    const value = r.value === null ? 'n/a' : `${r.value.toLocaleString('en-US')} ${r.unit}`;
    const vs = r.ratio ? `${r.ratio.value.toFixed(2)}× ${r.ratio.to}` : '';
    lines.push(`| ${r.workload} | ${r.metric} | ${value} | ${vs} | ${r.ratio?.goal ?? ''} | ${r.notes ?? ''} |`);
  }
  return lines.join('\n');
}

// `--workers N` runs the scale-out workload with 1…N worker processes (and only it, unless named).
const args = process.argv.slice(2);
const workersAt = args.indexOf('--workers');
const maxWorkers = workersAt >= 0 ? Number(args[workersAt + 1]) : 0;
if (workersAt >= 0 && !(Number.isInteger(maxWorkers) && maxWorkers >= 1)) {
  console.error('--workers needs a whole number of worker processes, at least 1');
  process.exit(2);
}
if (maxWorkers) WORKLOADS.push({ name: 'scale-out', run: () => scaleOut(maxWorkers) });
const only = workersAt >= 0 ? [...args.slice(0, workersAt), ...args.slice(workersAt + 2), 'scale-out'] : args;
const context: Context = { ceilingJobsPerSecond: null, floorStepsPerSecond: null, bareInsertRps: null };
const results: BenchResult[] = [];
const about = await machine();
console.log(`machine: ${about}\n`);
for (const workload of WORKLOADS) {
  if (only.length && !only.includes(workload.name)) continue;
  process.stdout.write(`running ${workload.name}… `);
  try {
    const rows = await workload.run(context);
    results.push(...rows);
    console.log(rows.map((r) => `${r.metric} ${r.value ?? 'n/a'}`).join(', '));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    results.push({ workload: workload.name, metric: 'failed', value: null, unit: '', notes: message.slice(0, 200) });
    console.log(`failed: ${message}`);
  }
}
console.log(`\n${table(results)}\n`);
writeFileSync(
  new URL('./results.json', import.meta.url),
  `${JSON.stringify({ machine: about, at: new Date().toISOString(), results }, null, 2)}\n`,
);
process.exit(0);
