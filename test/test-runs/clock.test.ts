import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { draft, e, hook, n, path, storeContact, testRun } from './support.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const tag = (id: string, name = id) => n(id, 'crm.tag', { action: 'add', tag: name });
const ann = { email: 'ann@example.com', timezone: 'Europe/Helsinki' };

describe('test runs on a simulated clock', () => {
  test('fast-forward a one-day wait and a 09:00 wait in the contact’s time zone', async () => {
    const id = await draft(t, {
      nodes: [
        hook(),
        n('day', 'core.wait', { duration: 'P1D' }),
        n('nine', 'core.wait', { until: { time: '09:00', timezone: 'contact' } }),
        tag('woke'),
      ],
      edges: [e('hook', 'day'), e('day', 'nine'), e('nine', 'woke')],
    });
    const result = await testRun(t, id, { contact: ann, startAt: '2026-01-10T12:00:00.000Z' });
    expect(result.status).toBe('completed');
    expect(result.steps).toMatchObject([
      { nodeId: 'hook', at: '2026-01-10T12:00:00.000Z', next: 'out' },
      { nodeId: 'day', at: '2026-01-10T12:00:00.000Z', resumedAt: '2026-01-11T12:00:00.000Z', next: 'out' },
      // 09:00 in Helsinki in January is 07:00 UTC, the morning after the day's wait ended.
      { nodeId: 'nine', at: '2026-01-11T12:00:00.000Z', resumedAt: '2026-01-12T07:00:00.000Z', resumedBy: 'time' },
      { nodeId: 'woke', at: '2026-01-12T07:00:00.000Z', status: 'completed' },
    ]);
  });

  test('a time of day the clocks show twice (fall back) releases the first time it is shown', async () => {
    const id = await draft(t, {
      nodes: [hook(), n('late', 'core.wait', { until: { time: '01:30', timezone: 'contact' } }), tag('woke')],
      edges: [e('hook', 'late'), e('late', 'woke')],
    });
    // New York falls back at 02:00 EDT on 2027-11-07: 01:30 is shown at 05:30Z (EDT), then at 06:30Z (EST).
    const contact = { email: 'nyc@example.com', timezone: 'America/New_York' };
    const atOne = await testRun(t, id, { contact, startAt: '2027-11-07T05:00:00.000Z' });
    expect(atOne.steps[1]).toMatchObject({ nodeId: 'late', resumedAt: '2027-11-07T05:30:00.000Z' });
    // Once the first 01:30 has passed, the second one is the next.
    const atOneFortyFive = await testRun(t, id, { contact, startAt: '2027-11-07T05:45:00.000Z' });
    expect(atOneFortyFive.steps[1]).toMatchObject({ nodeId: 'late', resumedAt: '2027-11-07T06:30:00.000Z' });
  });

  test('a time of day the clocks skip (spring forward) releases as the clocks jump, not after', async () => {
    const id = await draft(t, {
      nodes: [hook(), n('early', 'core.wait', { until: { time: '02:30', timezone: 'contact' } }), tag('woke')],
      edges: [e('hook', 'early'), e('early', 'woke')],
    });
    // New York springs forward at 02:00 EST on 2027-03-14 (07:00Z): the clocks never show 02:30.
    const contact = { email: 'spring@example.com', timezone: 'America/New_York' };
    const atMidnight = await testRun(t, id, { contact, startAt: '2027-03-14T05:00:00.000Z' });
    expect(atMidnight.steps[1]).toMatchObject({ nodeId: 'early', resumedAt: '2027-03-14T07:00:00.000Z' });
    // Once the jump has passed, the next 02:30 is the next day's.
    const afterJump = await testRun(t, id, { contact, startAt: '2027-03-14T07:10:00.000Z' });
    expect(afterJump.steps[1]).toMatchObject({ nodeId: 'early', resumedAt: '2027-03-15T06:30:00.000Z' });
  });

  test('an event named after a wait-for-event node takes the event branch, and a condition reads it', async () => {
    const id = await draft(t, {
      nodes: [
        hook(),
        n('wait', 'core.wait-for-event', { event: 'email.clicked', timeout: 'P3D' }),
        n('which', 'core.condition', {
          filter: { step: 'wait', path: 'event.properties.key', op: 'eq', value: 'a' },
        }),
        tag('clicked-a'),
        tag('clicked-other'),
        tag('ignored'),
      ],
      edges: [
        e('hook', 'wait'),
        e('wait', 'which', 'event'),
        e('wait', 'ignored', 'timeout'),
        e('which', 'clicked-a', 'yes'),
        e('which', 'clicked-other', 'no'),
      ],
    });
    const result = await testRun(t, id, {
      contact: ann,
      startAt: '2026-02-01T10:00:00.000Z',
      events: [{ afterNode: 'wait', name: 'email.clicked', properties: { key: 'a' }, delay: 'PT2H' }],
    });
    expect(path(result)).toEqual(['hook', 'wait', 'which', 'clicked-a']);
    expect(result.steps[1]).toMatchObject({
      next: 'event',
      resumedBy: 'event',
      resumedAt: '2026-02-01T12:00:00.000Z',
      output: { event: { name: 'email.clicked', properties: { key: 'a' }, timestamp: '2026-02-01T12:00:00.000Z' } },
    });
    expect(result.steps[2]).toMatchObject({ next: 'yes', output: { matched: true } });
  });

  test("a wait-for-event filter's tag clause reads the contact as the walk has it", async () => {
    const id = await draft(t, {
      nodes: [
        hook(),
        tag('vip'),
        n('wait', 'core.wait-for-event', { event: 'purchase', filter: { tag: 'vip', op: 'has' }, timeout: 'P3D' }),
        tag('bought'),
        tag('nudge'),
      ],
      edges: [e('hook', 'vip'), e('vip', 'wait'), e('wait', 'bought', 'event'), e('wait', 'nudge', 'timeout')],
    });
    const result = await testRun(t, id, {
      contact: ann,
      startAt: '2026-02-01T10:00:00.000Z',
      events: [{ afterNode: 'wait', name: 'purchase', delay: 'PT1H' }],
    });
    expect(path(result)).toEqual(['hook', 'vip', 'wait', 'bought']);
  });

  test('without a matching event the wait takes its timeout when the timeout would pass', async () => {
    const id = await draft(t, {
      nodes: [
        hook(),
        n('wait', 'core.wait-for-event', { event: 'purchase', timeout: 'P3D' }),
        tag('bought'),
        tag('nudge'),
      ],
      edges: [e('hook', 'wait'), e('wait', 'bought', 'event'), e('wait', 'nudge', 'timeout')],
    });
    const result = await testRun(t, id, {
      contact: ann,
      startAt: '2026-02-01T10:00:00.000Z',
      // Another event, and the right one too late: neither resumes the wait.
      events: [
        { afterNode: 'wait', name: 'email.opened' },
        { afterNode: 'wait', name: 'purchase', delay: 'P4D' },
      ],
    });
    expect(path(result)).toEqual(['hook', 'wait', 'nudge']);
    expect(result.steps[1]).toMatchObject({
      next: 'timeout',
      resumedBy: 'timeout',
      resumedAt: '2026-02-04T10:00:00.000Z',
    });
    expect(result.steps[2].at).toBe('2026-02-04T10:00:00.000Z');
  });

  test('an exitOn event ends the walk as exited, leaving the waiting step waiting', async () => {
    const id = await draft(
      t,
      {
        nodes: [hook(), n('wait', 'core.wait', { duration: 'P2D' }), tag('late')],
        edges: [e('hook', 'wait'), e('wait', 'late')],
      },
      { exitOn: ['purchase'] },
    );
    const result = await testRun(t, id, {
      contact: ann,
      events: [{ afterNode: 'hook', name: 'purchase', delay: 'P1D' }],
    });
    expect(result.status).toBe('exited');
    expect(result.steps.map((s: { status: string }) => s.status)).toEqual(['completed', 'waiting']);
  });

  test('forked branches are listed in the order their steps would run', async () => {
    const id = await draft(t, {
      nodes: [hook(), n('wait', 'core.wait', { duration: 'PT1H' }), tag('later'), tag('now')],
      edges: [e('hook', 'wait'), e('wait', 'later'), e('hook', 'now')],
    });
    const result = await testRun(t, id, { contact: ann });
    expect(path(result)).toEqual(['hook', 'wait', 'now', 'later']);
  });

  test('a stored contact walks with its own time zone and is left as stored', async () => {
    const contactId = await storeContact(t, { email: 'tokyo@example.com', timezone: 'Asia/Tokyo' });
    const id = await draft(t, {
      nodes: [hook(), n('nine', 'core.wait', { until: { time: '09:00', timezone: 'contact' } }), tag('morning')],
      edges: [e('hook', 'nine'), e('nine', 'morning')],
    });
    const result = await testRun(t, id, { contact: { id: contactId }, startAt: '2026-03-01T12:00:00.000Z' });
    // 09:00 in Tokyo (UTC+9) after 21:00 local: the next morning, 00:00 UTC.
    expect(result.steps[2].at).toBe('2026-03-02T00:00:00.000Z');
    expect(result.contact).toMatchObject({ id: contactId, tags: [{ tag: 'morning', active: true }] });
  });

  test('a trigger payload’s timezone null walks its stored contact in UTC, as the webhook would clear it', async () => {
    const contactId = await storeContact(t, { email: 'cleared@example.com', timezone: 'Asia/Tokyo' });
    const id = await draft(t, {
      nodes: [hook(), n('nine', 'core.wait', { until: { time: '09:00', timezone: 'contact' } }), tag('morning')],
      edges: [e('hook', 'nine'), e('nine', 'morning')],
    });
    const trigger = { contactId, timezone: null };
    const result = await testRun(t, id, { trigger, startAt: '2026-03-01T12:00:00.000Z' });
    expect(result.steps[2].at).toBe('2026-03-02T09:00:00.000Z');
  });
});
