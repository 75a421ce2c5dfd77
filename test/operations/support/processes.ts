import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { environmentWithoutSettings } from '../../support/environment.js';

const main = fileURLToPath(new URL('../../../server/main.ts', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));

/** A free TCP port on 127.0.0.1 (taken and released at once). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A Waymark process started as `npm start` would start it, with its role as the argument. */
export interface WaymarkProcess {
  role: 'server' | 'worker';
  child: ChildProcess;
  port: number | null;
  metricsPort: number;
  /** Everything it wrote to stdout and stderr. */
  output: string[];
}

/**
 * Starts `server/main.ts <role>` in a process of its own against `databaseUrl`, and resolves
 * once it serves: its metrics listener answers (both roles) and, for a server, `/healthz` says ok.
 */
export async function startWaymark(
  role: 'server' | 'worker',
  databaseUrl: string,
  env: Record<string, string>,
): Promise<WaymarkProcess> {
  const port = role === 'server' ? await freePort() : null;
  const metricsPort = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', main, role], {
    env: {
      ...environmentWithoutSettings(),
      DATABASE_URL: databaseUrl,
      HOST: '127.0.0.1',
      ...(port ? { PORT: String(port) } : {}),
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (d) => output.push(String(d)));
  child.stderr?.on('data', (d) => output.push(String(d)));
  const started = { role, child, port, metricsPort, output };
  const until = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${role} exited (${child.exitCode}): ${output.join('')}`);
    const ready = await fetch(`http://127.0.0.1:${metricsPort}/metrics`)
      .then(async (res) => res.ok && (!port || (await fetch(`http://127.0.0.1:${port}/healthz`)).ok))
      .catch(() => false);
    if (ready) return started;
    if (Date.now() > until) throw new Error(`${role} did not start in time: ${output.join('')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Kills a process at once (no shutdown of its own) and waits for it to be gone. */
export async function kill(p: WaymarkProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const gone = new Promise((resolve) => p.child.once('exit', resolve));
  p.child.kill('SIGKILL');
  await gone;
}

/** Stops a process as an operator does (SIGTERM: its own shutdown) and waits for it to exit. */
export async function stop(p: WaymarkProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const gone = new Promise((resolve) => p.child.once('exit', resolve));
  p.child.kill('SIGTERM');
  await gone;
}

/**
 * Runs a command from the repository's root as an operator would (`npm start`, or
 * `node --import tsx server/main.ts <role>`), LOG_LEVEL info unless `env` says, gathering what
 * it writes. `detached`: in a process group of its own, as a terminal runs what it is given.
 */
export function launch(
  command: string,
  args: string[],
  env: Record<string, string>,
  options: { detached?: boolean } = {},
): { child: ChildProcess; output: () => string } {
  let out = '';
  const child = spawn(command, args, {
    cwd: root,
    detached: options.detached ?? false,
    env: { ...environmentWithoutSettings(), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  return { child, output: () => out };
}

/** Resolves once `GET /healthz` on the port answers 200. */
export async function waitHealthy(port: number, ms = 90_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (
      await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.status === 200,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no healthy answer on ${port}`);
}
