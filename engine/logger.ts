import { hostname } from 'node:os';
import pino, { type Logger, type LoggerOptions } from 'pino';
import type { ProcessIdentity } from './observability/identity.js';
import { currentStepFields } from './observability/log-scope.js';

/**
 * Pino logs: pretty on a terminal, JSON lines otherwise (log shippers read those). With an
 * identity every line carries `role` and `process`; every line written while a step runs
 * carries the step's ids (`log-scope.ts`), unless a child logger already names the step.
 */
export function createLogger(level: string, identity?: ProcessIdentity, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    ...(identity ? { base: { pid: process.pid, hostname: hostname(), ...identity } } : {}),
    mixin(_merge, _level, logger) {
      const fields = currentStepFields();
      if (!fields || (logger as Logger).bindings().stepId !== undefined) return {};
      return fields;
    },
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
