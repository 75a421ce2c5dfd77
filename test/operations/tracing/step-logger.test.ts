import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, test } from 'vitest';
import { StepLogger } from '../../../engine/observability/step-logger.js';

/** A step's ctx.log over a pino logger at `level`, the lines it wrote, and how often it read the step's fields. */
function stepLog(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const reads = { fields: 0 };
  const log = new StepLogger(pino({ level }, stream), () => {
    reads.fields++;
    return { runId: 'run-1', stepId: 'step-1', nodeType: 'core.split' };
  });
  return { log, lines, reads };
}

describe("a node's ctx.log", () => {
  test('a line below the level is not written, and the step fields are not even read', () => {
    const { log, lines, reads } = stepLog('info');
    log.debug({ variant: 'a' }, 'split assigned a variant');
    expect(lines).toEqual([]);
    expect(reads.fields).toBe(0);
  });

  test("a line at the level is written with the node's fields, the step's and its message", () => {
    const { log, lines } = stepLog('info');
    log.warn({ note: 7 }, 'a node speaks');
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, note: 7, msg: 'a node speaks', runId: 'run-1', stepId: 'step-1' }),
    ]);
  });

  test('a message alone is written as the message', () => {
    const { log, lines } = stepLog('debug');
    log.debug('plain words');
    expect(lines).toEqual([expect.objectContaining({ level: 20, msg: 'plain words', stepId: 'step-1' })]);
  });

  test('the step fields are read once, however many lines the node writes', () => {
    const { log, lines, reads } = stepLog('info');
    log.info({ n: 1 }, 'one');
    log.error({ n: 2 }, 'two');
    expect(lines.map((l) => [l.msg, l.stepId])).toEqual([
      ['one', 'step-1'],
      ['two', 'step-1'],
    ]);
    expect(reads.fields).toBe(1);
  });
});
