import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { draft, e, n, path, postTest, testRun } from './support.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const ann = { email: 'ann@example.com' };
const signup = (filter?: object) => n('signup', 'core.event', { event: 'signed_up', ...(filter ? { filter } : {}) });
const tag = (id: string) => n(id, 'crm.tag', { action: 'add', tag: id });

describe('a test run of a journey started by an event', () => {
  test('the trigger payload is the event’s properties, and the run sees the event as a real run does', async () => {
    const id = await draft(t, {
      nodes: [signup(), n('hello', 'crm.update-contact', { attributes: { plan: '{{ trigger.properties.plan }}' } })],
      edges: [e('signup', 'hello')],
    });
    const at = '2026-03-01T10:00:00.000Z';
    const result = await testRun(t, id, { contact: ann, trigger: { plan: 'pro' }, startAt: at });
    expect(result.steps[0]).toMatchObject({
      nodeId: 'signup',
      output: { name: 'signed_up', properties: { plan: 'pro' }, timestamp: at },
    });
    expect(result.steps[0].output.id).toEqual(expect.any(String));
    expect(result.contact.attributes).toMatchObject({ plan: 'pro' });
  });

  test('a condition on the triggering event sees it, as the stored event it would be', async () => {
    const id = await draft(t, {
      nodes: [
        signup(),
        n('seen', 'core.condition', { filter: { event: 'signed_up', op: 'count', gte: 1 } }),
        tag('yes'),
        tag('no'),
      ],
      edges: [e('signup', 'seen'), e('seen', 'yes', 'yes'), e('seen', 'no', 'no')],
    });
    const result = await testRun(t, id, { contact: ann, trigger: {} });
    expect(path(result)).toEqual(['signup', 'seen', 'yes']);
  });

  test('properties the trigger’s filter turns away answer 400 naming the trigger, as no run would start', async () => {
    const id = await draft(t, {
      nodes: [signup({ attr: 'plan', op: 'eq', value: 'pro' }), tag('welcomed')],
      edges: [e('signup', 'welcomed')],
    });
    const refused = await postTest(t, id, { contact: ann, trigger: { plan: 'free' } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: '/trigger', message: expect.stringContaining('trigger "signup"') }],
    });
    const accepted = await testRun(t, id, { contact: ann, trigger: { plan: 'pro' } });
    expect(path(accepted)).toEqual(['signup', 'welcomed']);
  });

  test('a webhook trigger’s payload is still the trigger as given', async () => {
    const id = await draft(t, {
      nodes: [n('hook', 'core.webhook', { secret: 'a-secret-of-16-chars' }), tag('welcomed')],
      edges: [e('hook', 'welcomed')],
    });
    const result = await testRun(t, id, { contact: ann, trigger: { plan: 'pro' } });
    expect(result.steps[0].output).toEqual({ plan: 'pro' });
  });
});
