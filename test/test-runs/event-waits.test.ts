import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { draft, e, hook, n, path, testRun } from './support.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const tag = (id: string) => n(id, 'crm.tag', { action: 'add', tag: id });
const ann = { email: 'ann@example.com' };

describe('a test run resumes a wait-for-event on any matching event that comes while it waits, as production does', () => {
  test('an event named after the trigger that comes an hour later takes the waiting node’s event branch', async () => {
    const id = await draft(t, {
      nodes: [hook(), n('wait', 'core.wait-for-event', { event: 'clicked', timeout: 'P1D' }), tag('hit'), tag('miss')],
      edges: [e('hook', 'wait'), e('wait', 'hit', 'event'), e('wait', 'miss', 'timeout')],
    });
    const result = await testRun(t, id, {
      contact: ann,
      startAt: '2026-05-01T10:00:00.000Z',
      events: [{ afterNode: 'hook', name: 'clicked', delay: 'PT1H' }],
    });
    expect(path(result)).toEqual(['hook', 'wait', 'hit']);
    expect(result.steps[1]).toMatchObject({ next: 'event', resumedBy: 'event', resumedAt: '2026-05-01T11:00:00.000Z' });
  });

  test('one event resumes both branches waiting for it, whichever node it was named after', async () => {
    const id = await draft(t, {
      nodes: [
        hook(),
        n('first', 'core.wait-for-event', { event: 'clicked', timeout: 'P1D' }),
        n('second', 'core.wait-for-event', { event: 'clicked', timeout: 'P1D' }),
        tag('first-hit'),
        tag('second-hit'),
      ],
      edges: [
        e('hook', 'first'),
        e('hook', 'second'),
        e('first', 'first-hit', 'event'),
        e('second', 'second-hit', 'event'),
      ],
    });
    const result = await testRun(t, id, {
      contact: ann,
      startAt: '2026-05-01T10:00:00.000Z',
      events: [{ afterNode: 'first', name: 'clicked', delay: 'PT2H' }],
    });
    expect(path(result).sort()).toEqual(['first', 'first-hit', 'hook', 'second', 'second-hit']);
    expect(result.steps.filter((s: { resumedBy?: string }) => s.resumedBy === 'event')).toHaveLength(2);
  });

  test('an event that came before the node was reached does not resume it', async () => {
    const id = await draft(t, {
      nodes: [
        hook(),
        n('pause', 'core.wait', { duration: 'PT2H' }),
        n('wait', 'core.wait-for-event', { event: 'clicked', timeout: 'P1D' }),
        tag('hit'),
        tag('miss'),
      ],
      edges: [e('hook', 'pause'), e('pause', 'wait'), e('wait', 'hit', 'event'), e('wait', 'miss', 'timeout')],
    });
    const result = await testRun(t, id, {
      contact: ann,
      startAt: '2026-05-01T10:00:00.000Z',
      events: [{ afterNode: 'hook', name: 'clicked', delay: 'PT1H' }],
    });
    expect(path(result)).toEqual(['hook', 'pause', 'wait', 'miss']);
  });
});
