import { readdirSync, readFileSync } from 'node:fs';

/** CPU time so far, in ms, of each local PostgreSQL process by pid (null off Linux). */
export function postgresCpu(): Map<string, number> | null {
  try {
    const byPid = new Map<string, number>();
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        if (!readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres')) continue;
        byPid.set(pid, cpuOfPid(pid));
      } catch {
        // The process ended meanwhile.
      }
    }
    return byPid.size ? byPid : null;
  } catch {
    return null;
  }
}

/** CPU time so far, in ms, of one process (throws when it is gone or off Linux). */
function cpuOfPid(pid: string | number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
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

/** PostgreSQL's CPU between two readings, over the processes alive at the second (a remote server: null). */
export function postgresCpuBetween(
  before: Map<string, number> | null,
  after: Map<string, number> | null,
): number | null {
  if (!before || !after) return null;
  let ms = 0;
  for (const [pid, total] of after) ms += total - (before.get(pid) ?? 0);
  return ms;
}
