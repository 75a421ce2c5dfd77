import { hostname } from 'node:os';
import pino, { type Logger, type LoggerOptions } from 'pino';
import type { ProcessIdentity } from './observability/identity.js';

/**
 * Pino logs: pretty on a terminal, JSON lines otherwise (log shippers read those). With an
 * identity every line carries `role` and `process`; a line written for a step is written
 * through a logger bound to the step's ids (`StepLogFields`).
 */
export function createLogger(level: string, identity?: ProcessIdentity, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    ...(identity ? { base: { pid: process.pid, hostname: hostname(), ...identity } } : {}),
  };
  if (destination) return pino(options, destination);
  if (process.stdout.isTTY && level !== 'silent') {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return pino(options);
}

export type { Logger };
