import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { queueComputedRefresh } from '../../engine/computed/schedule.js';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { loggedLines } from '../support/log-lines.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

// contract identity.md: a new definition is computed in the background, `computing` until it
// turns `ready`. A refresh that fails is tried again, with a backoff, and says which attribute.
const log = loggedLines('warn');
let t: TestApp;
let worker: WorkerHandle | undefined;
beforeAll(async () => {
  t = await createTestApp({}, { logger: log.logger });
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
});
afterAll(() => t.close());

const query = (text: string) => t.runtime.pool.query(text);
const put = (name: string) =>
  t.app.inject({
    method: 'PUT',
    url: `/api/computed-attributes/${name}`,
    headers: t.auth,
    payload: { definition: { kind: 'aggregate', fn: 'count', event: 'order' } },
  });
const status = async (name: string) =>
  (await t.app.inject({ method: 'GET', url: `/api/computed-attributes/${name}`, headers: t.auth })).json().status;

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, seconds = 20): Promise<T> {
  let value = await read();
  for (let i = 0; i < seconds * 10 && !ok(value); i++) {
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  return value;
}

describe('a computed attribute whose background refresh fails', () => {
  test('is refreshed again when the whole run failed, and turns ready', async () => {
    worker = await startWorker(t.runtime, { pollInterval: 100 });
    expect((await put('orders')).statusCode).toBe(201);
    expect(
      await eventually(
        () => status('orders'),
        (s) => s === 'ready',
      ),
    ).toBe('ready');
    // Its definition changes, and the run that computes it fails in every database call (the
    // audit's run timed out twice: its refresh, then the query queueing the next run).
    await query(`update computed_attributes set status = 'computing' where name = 'orders'`);
    await query('alter table computed_attributes rename to computed_attributes_away');
    await queueComputedRefresh(t.runtime.db, 0);
    const failedRuns = async () =>
      (await query("select attempts from graphile_worker.jobs where task_identifier = 'waymark.computed'")).rows;
    expect(await eventually(failedRuns, (rows) => rows.some((r) => r.attempts >= 1))).not.toEqual([]);
    await query('alter table computed_attributes_away rename to computed_attributes');
    expect(
      await eventually(
        () => status('orders'),
        (s) => s === 'ready',
      ),
    ).toBe('ready');
  });

  test('logs an error naming it, and turns ready when tried again', async () => {
    // The refresh's write fails once, as a statement timeout would end it.
    await query(`
      create sequence refresh_failures;
      create function fail_first_refresh() returns trigger language plpgsql as $$ begin
        if new.name = 'visits' and new.status = 'ready' and nextval('refresh_failures') = 1 then
          raise exception 'canceling statement due to statement timeout' using errcode = '57014';
        end if;
        return new;
      end $$;
      create trigger fail_first_refresh before update on computed_attributes
        for each row execute function fail_first_refresh();`);
    worker = await startWorker(t.runtime, { pollInterval: 100 });
    expect((await put('visits')).statusCode).toBe(201);
    expect(
      await eventually(
        () => status('visits'),
        (s) => s === 'ready',
      ),
    ).toBe('ready');
    expect(log.lines.filter((l) => l.level === 50 && l.attribute === 'visits').map((l) => l.msg)).toEqual([
      'computed attribute visits could not be refreshed; trying again in 2 s',
    ]);
  });
});
