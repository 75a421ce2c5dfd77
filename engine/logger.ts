import pino, { type Logger } from 'pino';

/** Pino logs: pretty on a terminal, JSON lines otherwise (log shippers read those). */
export function createLogger(level: string): Logger {
  if (process.stdout.isTTY && level !== 'silent') {
    return pino({
      level,
      transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return pino({ level });
}

export type { Logger };
