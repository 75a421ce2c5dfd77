import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { create } from 'tar';
import { startRunsForContacts } from '../../engine/runs/entry/start.js';
import { childrenCpu, childrenRss, cpuBetween, postgresCpu } from '../cpu.js';
import { scaled } from '../database.js';
import { auth, createInstance, importContacts, publishJourney, waitForRuns } from '../instance.js';
import type { BenchResult } from '../result.js';
import { node } from './journey.js';

/** An installed package of one node that answers at once: what a package step costs around its `run`. */
const ENTRY = `import { defineNode, definePackage } from '@waymark/sdk';
const echo = defineNode({
  type: 'bench.echo', version: 1, kind: 'action', title: 'Echo', description: 'Answers at once.', category: 'Bench',
  params: { type: 'object', properties: {} }, outputs: ['out'],
  async run(ctx) { return { next: 'out', output: { contact: ctx.contact ? ctx.contact.id : null } }; },
});
export default definePackage({ name: 'bench-nodes', version: '1.0.0', nodes: [echo] });
`;

async function packageTarball(): Promise<Buffer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'waymark-bench-pkg-'));
  try {
    const manifest = {
      name: 'bench-nodes',
      version: '1.0.0',
      description: 'A node that answers at once',
      type: 'module',
      main: './index.mjs',
      keywords: ['waymark-node-package'],
      peerDependencies: { '@waymark/sdk': '^0.1.0' },
    };
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest));
    writeFileSync(path.join(dir, 'README.md'), '# bench-nodes\n');
    writeFileSync(path.join(dir, 'index.mjs'), ENTRY);
    const chunks: Buffer[] = [];
    const files = ['package.json', 'README.md', 'index.mjs'];
    for await (const chunk of create({ gzip: true, cwd: dir, prefix: 'package', portable: true }, files))
      chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Steps of an installed package's node: `contacts` runs queued through webhook → `bench.echo`
 * → exit, then drained by the worker. Each package step crosses to a worker thread and back;
 * the figure is package steps a second and the CPU each costs.
 */
export async function packageSteps(): Promise<BenchResult[]> {
  const contacts = scaled(2_000);
  const instance = await createInstance();
  try {
    const installed = await instance.app.inject({
      method: 'POST',
      url: '/api/packages',
      headers: { ...auth, 'content-type': 'application/gzip' },
      payload: await packageTarball(),
    });
    if (installed.statusCode !== 201) throw new Error(`install: ${installed.statusCode} ${installed.body}`);
    await importContacts(instance.app, contacts, () => ({}));
    const journeyId = await publishJourney(instance.app, {
      nodes: [
        node('hook', 'core.webhook', { secret: 'bench-secret-0123456789' }, 0),
        node('echo', 'bench.echo', {}, 100),
        node('exit', 'core.exit', {}, 200),
      ],
      edges: [
        { id: 'e1', source: 'hook', sourceHandle: 'out', target: 'echo' },
        { id: 'e2', source: 'echo', sourceHandle: 'out', target: 'exit' },
      ],
    });
    const ids = (await sql<{ id: string }>`select id from contacts`.execute(instance.runtime.db)).rows.map((r) => r.id);
    await instance.runtime.db
      .transaction()
      .execute((trx) => startRunsForContacts(trx, { journeyId, version: 1, triggerNodeId: 'hook', contactIds: ids }));
    const cpu = process.cpuUsage();
    const pg = postgresCpu();
    // The package's threads run in a process of its own, started at install (and kept while it
    // has threads): its CPU and memory are the package steps' as much as the worker's are.
    const hosts = childrenCpu() ?? new Map<string, number>();
    // Each thread is a V8 heap of its own: the processes' peak resident memory says what they hold.
    let peakRss = process.memoryUsage.rss();
    let peakHostRss = childrenRss();
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      peakHostRss = Math.max(peakHostRss, childrenRss());
    }, 50);
    await instance.startWorker();
    const ms = await waitForRuns(instance.runtime, journeyId, ['completed', 'failed'], contacts).finally(() =>
      clearInterval(sampler),
    );
    const used = process.cpuUsage(cpu);
    const pgMs = cpuBetween(pg, postgresCpu());
    const hostMs = cpuBetween(hosts, childrenCpu()) ?? 0;
    const perStep = (us: number) => `${(us / contacts / 1000).toFixed(2)} ms`;
    return [
      {
        workload: 'packages: an installed node',
        metric: 'package steps/s',
        value: Math.round(contacts / (ms / 1000)),
        unit: 'steps/s',
        notes: `${contacts} runs of webhook → bench.echo → exit, ${Math.round(ms)} ms; CPU a package step (its exit included): worker ${perStep(used.user + used.system)} + package process ${perStep(hostMs * 1000)} + PostgreSQL ${pgMs === null ? 'n/a' : perStep(pgMs * 1000)}; peak RSS worker ${Math.round(peakRss / 2 ** 20)} + package processes ${Math.round(peakHostRss / 2 ** 20)} MiB`,
      },
    ];
  } finally {
    await instance.close();
  }
}
