import { readdirSync, readFileSync } from 'node:fs';

/** `read(pid)` of each local process that `keep` accepts, by pid (null off Linux or when none). */
function readWhere(keep: (pid: string) => boolean, read: (pid: string) => number): Map<string, number> | null {
  try {
    const byPid = new Map<string, number>();
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        if (keep(pid)) byPid.set(pid, read(pid));
      } catch {
        // The process ended meanwhile.
      }
    }
    return byPid.size ? byPid : null;
  } catch {
    return null;
  }
}

/** CPU time so far, in ms, of each local PostgreSQL process by pid (null off Linux). */
export function postgresCpu(): Map<string, number> | null {
  return readWhere((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres'), cpuOfPid);
}

/** The stat fields of a process after its name: [state, ppid, …]. */
const statOf = (pid: string | number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];

/** Whether a process is one this one started (installed packages' processes). */
const isChild = (pid: string) => Number(statOf(pid)[1]) === process.pid;

/** CPU time so far, in ms, of each process this one started, by pid. */
export function childrenCpu(): Map<string, number> | null {
  return readWhere(isChild, cpuOfPid);
}

/** Resident memory, in bytes, of the processes this one started (0 off Linux). */
export function childrenRss(): number {
  const rss = (pid: string) => Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096;
  let bytes = 0;
  for (const each of readWhere(isChild, rss)?.values() ?? []) bytes += each;
  return bytes;
}

/** CPU time so far, in ms, of one process (throws when it is gone or off Linux). */
function cpuOfPid(pid: string | number): number {
  const fields = statOf(pid);
  return (Number(fields[11]) + Number(fields[12])) * 10; // USER_HZ is 100 on Linux
}

/** CPU time so far, in ms, of one local process (null off Linux or once it ended). */
export function processCpu(pid: number | undefined): number | null {
  try {
    return pid === undefined ? null : cpuOfPid(pid);
  } catch {
    return null;
  }
}

/** The CPU of a set of processes between two readings, over those alive at the second (a remote server: null). */
export function cpuBetween(before: Map<string, number> | null, after: Map<string, number> | null): number | null {
  if (!before || !after) return null;
  let ms = 0;
  for (const [pid, total] of after) ms += total - (before.get(pid) ?? 0);
  return ms;
}
