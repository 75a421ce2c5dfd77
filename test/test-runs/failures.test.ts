import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { testPackage } from '../engine/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { draft, e, hook, n, path, testRun } from './support.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  t.runtime.registry.add(testPackage);
});
afterAll(() => t?.close());

const tag = (id: string) => n(id, 'crm.tag', { action: 'add', tag: id });

describe('a node that throws in a test run', () => {
  test('shows its error in the step, and the walk stops there', async () => {
    const id = await draft(t, {
      nodes: [
        hook(),
        tag('before'),
        n('mail', 'email.send', { from: 'a@example.com', subject: 'Hi', html: '<p>Hi</p>', category: 'marketing' }),
        tag('after'),
      ],
      edges: [e('hook', 'before'), e('before', 'mail'), e('mail', 'after', 'sent')],
    });
    // A contact with a phone and no email address: email.send refuses it.
    const result = await testRun(t, id, { contact: { phone: '+358401234567' } });
    expect(result.status).toBe('failed');
    expect(path(result)).toEqual(['hook', 'before', 'mail']);
    expect(result.steps[2]).toMatchObject({
      status: 'failed',
      next: null,
      attempts: 1,
      error: { message: 'the contact has no email address', code: 'email.no-address', attempts: 1, retryable: false },
    });
    expect(result.messages).toEqual([]);
  });

  test('stops the other branches too, as a failed run does', async () => {
    const id = await draft(t, {
      nodes: [
        hook(),
        n('boom', 'tst.flaky', { final: true }),
        n('wait', 'core.wait', { duration: 'PT1H' }),
        tag('late'),
      ],
      edges: [e('hook', 'wait'), e('hook', 'boom'), e('wait', 'late')],
    });
    const result = await testRun(t, id, { contact: { email: 'x@example.com' } });
    expect(result.steps.map((s: { nodeId: string; status: string }) => [s.nodeId, s.status])).toEqual([
      ['hook', 'completed'],
      ['wait', 'waiting'],
      ['boom', 'failed'],
    ]);
  });

  test('that may be retried is tried again after the backoff production would wait', async () => {
    const id = await draft(t, {
      nodes: [hook(), n('flaky', 'tst.flaky', { failures: 2 }), tag('next')],
      edges: [e('hook', 'flaky'), e('flaky', 'next')],
    });
    const result = await testRun(t, id, { contact: { email: 'x@example.com' }, startAt: '2026-01-01T00:00:00.000Z' });
    expect(result.steps[1]).toMatchObject({ status: 'completed', attempts: 3, output: { attempt: 3 } });
    // 1 s before the second attempt, 2 s before the third.
    expect(result.steps[2].at).toBe('2026-01-01T00:00:03.000Z');
  });
});
