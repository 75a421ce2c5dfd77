import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CatalogueNode } from '../../../editor/src/lib/api/types/catalogue.ts';
import { SummaryRenderer } from '../../../editor/src/lib/summary/summary.ts';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// The canvas line of each built-in node, as GET /api/nodes serves its template and the editor
// renders it (the same module the editor bundles).
let t: TestApp;
let nodes: CatalogueNode[];
const renderer = new SummaryRenderer();
beforeAll(async () => {
  t = await createTestApp();
  nodes = (await t.app.inject({ method: 'GET', url: '/api/nodes', headers: t.auth })).json().nodes;
});
afterAll(() => t?.close());

const line = (type: string, params: object) =>
  renderer.render(nodes.find((n) => n.type === type)?.summary, params as Record<string, never>);

describe('node summaries', () => {
  test('every built-in node type declares one', () => {
    const without = nodes.filter((n) => n.package.name.startsWith('@waymark/') && !n.summary).map((n) => n.type);
    expect(without).toEqual([]);
  });

  test('an email shows its subject, template text as written, and its sender', () => {
    expect(line('email.send', { subject: 'Thanks {{ firstName }}', from: 'news@example.com' })).toBe(
      'Thanks {{ firstName }} — from news@example.com',
    );
  });

  test('a wait for an event says how long and for what', () => {
    expect(line('core.wait-for-event', { event: 'email.clicked', timeout: 'P3D' })).toBe(
      'Wait 3 days for email.clicked',
    );
  });

  test('a condition reads as words', () => {
    const filter = {
      all: [
        { attr: 'plan', op: 'eq', value: 'pro' },
        { tag: 'interest-a', op: 'has' },
      ],
    };
    expect(line('core.condition', { filter })).toBe('plan is pro and tag interest-a');
    const nested = { any: [{ not: { list: 'vip', op: 'member' } }, { all: [{ attr: 'age', op: 'gte', value: 18 }] }] };
    expect(line('core.condition', { filter: nested })).toBe('not (in list vip) or (age ≥ 18)');
  });

  test('a split lists its variants and weights', () => {
    const variants = [
      { key: 'a', weight: 50 },
      { key: 'b', weight: 50 },
    ];
    expect(line('core.split', { variants })).toBe('A 50 % · B 50 %');
  });

  test('waits, tags and lists say what they do', () => {
    expect(line('core.wait', { duration: 'P1DT2H' })).toBe('Wait 1 day 2 hours');
    expect(line('core.wait', { until: { time: '09:00', timezone: 'contact', days: ['mon', 'tue'] } })).toBe(
      'Until 09:00 on mon, tue (contact time)',
    );
    expect(line('crm.tag', { action: 'add', tag: 'vip', ttl: 'PT30M' })).toBe('Add tag vip for 30 minutes');
    expect(line('crm.list', { action: 'remove', list: 'newsletter' })).toBe('Remove from list newsletter');
    expect(line('crm.update-contact', { attributes: { plan: 'pro', seats: '3' } })).toBe('Set plan, seats');
  });

  test('a node not set up yet shows no fragments: nothing, or what it does whatever its params', () => {
    const empty = Object.fromEntries(
      nodes.filter((n) => n.package.name.startsWith('@waymark/')).map((n) => [n.type, line(n.type, {})]),
    );
    const said = Object.entries(empty).filter(([, text]) => text !== '');
    expect(Object.fromEntries(said)).toEqual({
      'core.exit': 'End',
      'core.respond': 'Answer 200',
      'core.run-failed': 'When a run of any journey fails',
      'core.webhook': 'When the webhook is called',
    });
  });

  test('an email names its template when it has no subject of its own, and its sender once given', () => {
    expect(line('email.send', { template: 'welcome', from: 'news@example.com' })).toBe(
      'Template welcome — from news@example.com',
    );
    expect(line('email.send', { subject: 'Hi' })).toBe('Hi');
    expect(line('email.send', { from: 'news@example.com' })).toBe('from news@example.com');
  });

  test('a date trigger and a lead read whole with what they have', () => {
    expect(line('core.date', { attribute: 'birthday', at: '09:00' })).toBe('On birthday at 09:00');
    expect(line('core.date', { attribute: 'renewal', offsetDays: -7, at: '09:00' })).toBe(
      '-7 days from renewal at 09:00',
    );
    expect(line('crm.create-lead', { title: 'Call back' })).toBe('Lead “Call back”');
  });

  test('half-filled params give a shorter line, never an error', () => {
    expect(line('core.condition', {})).toBe('');
    expect(line('core.split', { variants: [{ key: 'a' }] })).toBe('A %');
    expect(renderer.render('{% if %}', {})).toBe('');
  });
});
