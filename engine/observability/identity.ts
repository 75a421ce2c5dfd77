import { hostname } from 'node:os';

/** What a process is in an installation: `all` for `npm start`, else the role it was started as. */
export type ProcessRole = 'all' | 'server' | 'worker';

/**
 * A process's role and id, carried by every metric series, log line and trace resource: the
 * id (`<hostname>:<pid>`) is unique among the live processes of one installation.
 */
export interface ProcessIdentity {
  role: ProcessRole;
  process: string;
}

/**
 * The identity of this process.
 *
 * @example
 * processIdentity('worker'); // { role: 'worker', process: 'web-1:4242' }
 */
export function processIdentity(role: ProcessRole): ProcessIdentity {
  return { role, process: `${hostname()}:${process.pid}` };
}
