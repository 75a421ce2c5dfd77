import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

/** A log line as pino writes it: its level, its message and whatever fields it carries. */
export type LogLine = { level: number; msg?: string } & Record<string, unknown>;

/**
 * A logger at `level` whose lines are kept, parsed, in `lines`: for a test that reads what an
 * operator would find in the log.
 *
 * @example
 * const log = loggedLines('warn');
 * t = await createTestApp({}, { logger: log.logger });
 * expect(log.lines.filter((l) => l.level >= 50)).toEqual([]);
 */
export function loggedLines(level: string): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level }, destination), lines };
}
