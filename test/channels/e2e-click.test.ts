import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRun } from '../../engine/runs/entry/start.js';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { e, eventually, n, publish, runEnds } from '../engine/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { insertContact } from './scope.js';

let t: TestApp;
let worker: WorkerHandle;

beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://w.example.com' });
  worker = await startWorker(t.runtime, { retry: { retryBaseMs: 100 }, pollInterval: 200 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

const mail = (subject: string, html: string, links: object[] = []) => ({
  from: 'News <news@example.com>',
  subject,
  html,
  category: 'marketing',
  links,
});

const graph = {
  nodes: [
    n('t', 'core.webhook', { secret: 'a-secret-of-16-chars' }),
    n(
      'm',
      'email.send',
      mail(
        'Pick one',
        '<a data-waymark-key="a" href="https://shop.example.com/a">A</a> <a data-waymark-key="b" href="https://shop.example.com/b">B</a>',
        [{ key: 'a', addTags: ['likes-a'] }, { key: 'b' }],
      ),
    ),
    n('w', 'core.wait-for-event', { event: 'email.clicked', timeout: 'P1D' }),
    n('c', 'core.condition', { filter: { step: 'w', path: 'event.properties.key', op: 'eq', value: 'a' } }),
    n('fa', 'email.send', mail('Follow-up A', '<p>About A</p>')),
    n('fb', 'email.send', mail('Follow-up B', '<p>About B</p>')),
  ],
  edges: [e('t', 'm'), e('m', 'w', 'sent'), e('w', 'c', 'event'), e('c', 'fa', 'yes'), e('c', 'fb', 'no')],
};

describe('a journey branching on the clicked link', () => {
  test('a click on link A leads to follow-up A', async () => {
    const db = t.runtime.db;
    const contactId = await insertContact(t.runtime, { email: 'clicker@example.com' });
    const journey = await publish(db, graph);
    const started = await db
      .transaction()
      .execute((trx) => startRun(trx, { ...journey, triggerNodeId: 't', contactId, trigger: {} }));
    const runId = started?.runId as string;
    await runEnds(db, runId, ['waiting']);

    const first = await eventually(() =>
      db.selectFrom('messages').select(['html', 'status']).where('run_id', '=', runId).executeTakeFirst(),
    );
    expect(first.status).toBe('sent');
    const linkA = /data-waymark-key="a" href="https:\/\/w\.example\.com(\/t\/c\/[^"]+)"/.exec(first.html ?? '')?.[1];
    const click = await t.app.inject({ method: 'GET', url: linkA as string });
    expect(click.statusCode).toBe(302);
    expect(click.headers.location).toBe('https://shop.example.com/a');

    const { run, steps } = await runEnds(db, runId);
    expect(run.status).toBe('completed');
    expect(steps.map((s) => s.node_id)).toEqual(['t', 'm', 'w', 'c', 'fa']);
    const subjects = await db
      .selectFrom('messages')
      .select('subject')
      .where('run_id', '=', runId)
      .orderBy('created_at')
      .execute();
    expect(subjects.map((m) => m.subject)).toEqual(['Pick one', 'Follow-up A']);
  });
});
