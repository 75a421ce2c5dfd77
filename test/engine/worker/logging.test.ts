import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, test } from 'vitest';
import { graphileLogger } from '../../../engine/worker/start-worker.js';

function captured(level: string) {
  const lines: { level: number; msg: string; [field: string]: unknown }[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: graphileLogger(pino({ level }, stream)), lines };
}

describe("graphile-worker's log lines", () => {
  test('a job that succeeded writes no info line; its other info lines and failures still show', () => {
    const { logger, lines } = captured('info');
    const job = { id: '1', task_identifier: 'waymark.step', payload: { stepId: 'x' } };
    for (let i = 0; i < 60; i++)
      logger.info(`Completed task ${i} (waymark.step, 1.00ms) with success`, { job, duration: 1, success: true });
    logger.info('Worker connected and looking for jobs...');
    logger.error('Failed task 2 (waymark.step) with error', { failure: true, job });
    expect(lines.map((l) => l.msg)).toEqual([
      'Worker connected and looking for jobs...',
      'Failed task 2 (waymark.step) with error',
    ]);
  });

  test('at debug, a success shows with the job id only', () => {
    const { logger, lines } = captured('debug');
    logger.info('Completed task 7 (waymark.step, 1.00ms) with success', {
      job: { id: '7', payload: { big: 'x'.repeat(1000) } },
      success: true,
    });
    expect(lines).toMatchObject([{ level: 20, jobId: '7' }]);
    expect(JSON.stringify(lines[0])).not.toContain('xxxx');
  });

  test('an error is written with its message and stack, not as {}; an AggregateError with those it gathers', () => {
    const { logger, lines } = captured('info');
    const released = new Error('Cannot background something when the queue is already released');
    logger.error(`Releasing local queue failed: ${released}`, { error: released });
    const gathered = new AggregateError([released], 'Errors occurred whilst deactivating queue');
    logger.error('Error occurred during graceful shutdown: Errors occurred whilst deactivating queue', {
      error: gathered,
    });
    expect(lines[0]?.error).toMatchObject({
      type: 'Error',
      message: 'Cannot background something when the queue is already released',
      stack: expect.stringContaining('logging.test.ts'),
    });
    expect(lines[1]?.error).toMatchObject({
      type: 'AggregateError',
      message: 'Errors occurred whilst deactivating queue',
      aggregateErrors: [{ message: 'Cannot background something when the queue is already released' }],
    });
  });

  test("graphile-worker's local-queue release at a graceful stop is an info line with a note; other errors stay errors", () => {
    const { logger, lines } = captured('info');
    const released = new Error('Cannot background something when the queue is already released');
    logger.error(`Releasing local queue failed: ${released}`, { error: released });
    logger.error('Error occurred during graceful shutdown: Errors occurred whilst deactivating queue', {
      error: new AggregateError([released], 'Errors occurred whilst deactivating queue'),
    });
    logger.error('Error occurred during graceful shutdown: Errors occurred whilst deactivating queue', {
      error: new AggregateError([released, new Error('connection lost')], 'Errors occurred whilst deactivating queue'),
    });
    expect(lines.map((l) => [l.level, l.note ?? null])).toEqual([
      [30, expect.stringContaining('Waymark frees them as the worker stops')],
      [30, expect.stringContaining('Waymark frees them as the worker stops')],
      [50, null],
    ]);
  });
});
