import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../engine/config/config.js';

const LOCK_FILE = 'waymark.pid';

export interface DataDirLock {
  /** Gives the folder up (at the end of the embedded PostgreSQL's stop). */
  release(): void;
}

/** Creates the data folder; one that cannot be (a file in its path, no permission) names WAYMARK_DATA_DIR. */
export function makeDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    throw new ConfigError('WAYMARK_DATA_DIR', `cannot create ${dataDir}: ${(error as Error).message}`);
  }
}

/**
 * Claims `<dataDir>/waymark.pid` for this process while it runs the embedded PostgreSQL on the
 * folder. A second Waymark on the same folder would otherwise take the cluster for an orphan of
 * a crash and stop it under the first one. A file whose process is gone (a SIGKILL, a reboot)
 * is taken over.
 *
 * @example
 * const lock = lockDataDir('/srv/waymark/.waymark'); // ConfigError('WAYMARK_DATA_DIR', …) while another runs
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const file = path.join(dataDir, LOCK_FILE);
  // A few rounds: two starts taking over the same stale file race for it, one wins.
  for (let round = 0; round < 3; round++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
      return { release: () => releaseIfOurs(file) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(file);
    if (holder !== null && holder !== process.pid && isWaymarkProcess(holder)) {
      throw new ConfigError(
        'WAYMARK_DATA_DIR',
        `${dataDir} is in use by another Waymark (pid ${holder}) running the embedded PostgreSQL there; ` +
          'stop it first, or give this one another WAYMARK_DATA_DIR, or point both at one DATABASE_URL',
      );
    }
    try {
      unlinkSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  throw new ConfigError('WAYMARK_DATA_DIR', `could not claim ${file}: another Waymark is starting on ${dataDir}`);
}

function readHolder(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Whether `pid` is alive and, where /proc tells, runs the same script as this process: after a
 * reboot the number may belong to something else, which must not hold the folder for ever.
 */
function isWaymarkProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let commandLine: string;
  try {
    commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true;
  }
  const script = path.basename(process.argv[1] ?? '');
  return script === '' || commandLine.includes(script);
}

function releaseIfOurs(file: string): void {
  if (readHolder(file) !== process.pid) return;
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}
