import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cpuBetween, postgresCpu } from './cpu.js';

/** What the load generator sends: every body in turn, `@@N@@` replaced by the request's number. */
export interface LoadSpec {
  url: string;
  method: 'POST' | 'GET';
  headers: Record<string, string>;
  bodies: string[];
  connections: number;
  seconds: number;
}

export interface LoadFigures {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  /** CPU time per request of this process (the server) and of PostgreSQL, in ms; null when unreadable. */
  serverCpuMs: number | null;
  postgresCpuMs: number | null;
}

/**
 * autocannon against one URL, from a child process (so it takes no CPU from the server in
 * this one): throughput, latency, and the CPU each request cost the server and PostgreSQL.
 */
export async function load(
  spec: Omit<LoadSpec, 'connections' | 'seconds'> & { connections?: number },
): Promise<LoadFigures> {
  const full: LoadSpec = { connections: 50, seconds: Number(process.env.BENCH_SECONDS ?? 8), ...spec };
  const cpu = process.cpuUsage();
  const pg = postgresCpu();
  const child = new URL('./load-child.ts', import.meta.url).pathname;
  // Bodies may run to megabytes: past what one argument may hold, so they go in a file.
  const dir = mkdtempSync(join(tmpdir(), 'waymark-load-'));
  const specFile = join(dir, 'spec.json');
  writeFileSync(specFile, JSON.stringify(full));
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, specFile], {
      maxBuffer: 1 << 26,
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const used = process.cpuUsage(cpu);
  const pgMs = cpuBetween(pg, postgresCpu());
  const result = JSON.parse(stdout) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    non2xx: number;
  };
  const total = Math.max(1, result.requests.total);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    serverCpuMs: (used.user + used.system) / 1000 / total,
    postgresCpuMs: pgMs === null ? null : pgMs / total,
  };
}

/** "server 0.4 + PostgreSQL 0.5 ms CPU/req" for a result's notes. */
export function cpuNote(figures: LoadFigures): string {
  const ms = (v: number | null) => (v === null ? '?' : v.toFixed(2));
  return `CPU/req: server ${ms(figures.serverCpuMs)} ms + PostgreSQL ${ms(figures.postgresCpuMs)} ms`;
}
