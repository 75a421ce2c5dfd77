import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults } from 'axe-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { e, n } from '../../engine/support.js';
import { type EditorSession, hasChromium, openEditor } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

// Every page of the editor, with something on it, and every kind of node's form, checked by
// axe-core against WCAG 2.1 A and AA: names, roles, labels, contrast. axe runs in the page
// through the DevTools protocol, which the pages' Content-Security-Policy does not govern.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

describe.skipIf(!hasChromium)('the editor’s accessibility', () => {
  let s: EditorSession;
  let journeyId: string;
  const auth = { authorization: `Bearer ${TEST_TOKEN}` };

  beforeAll(async () => {
    s = await openEditor();
    const graph = {
      nodes: [
        n('hook', 'core.webhook', { secret: 'a-secret-of-16-chars' }),
        n('cond', 'core.condition', { filter: { attr: 'plan', op: 'eq', value: 'pro' } }),
        n('split', 'core.split', {
          variants: [
            { key: 'a', weight: 50 },
            { key: 'b', weight: 50 },
          ],
        }),
        n('wait', 'core.wait', { duration: 'P1D' }),
        n('tag', 'crm.tag', { action: 'add', tag: 'vip' }),
        n('mail', 'email.send', { from: 'a@example.com', subject: 'Hi', html: '<p>Hi</p>', category: 'marketing' }),
        n('exit', 'core.exit', {}),
      ],
      edges: [
        e('hook', 'cond'),
        e('cond', 'split', 'yes'),
        e('split', 'wait', 'a'),
        e('split', 'tag', 'b'),
        e('wait', 'mail'),
        e('tag', 'exit'),
      ],
    };
    const made = await s.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: auth,
      payload: { name: 'Every kind', graph },
    });
    journeyId = made.json().id;
    await s.app.inject({
      method: 'POST',
      url: '/api/contacts',
      headers: auth,
      payload: { email: 'ada@example.com', attributes: { plan: 'pro' } },
    });
    await s.app.inject({
      method: 'PUT',
      url: '/api/templates/welcome',
      headers: auth,
      payload: { name: 'Welcome', format: 'html', subject: 'Welcome', body: '<p>Welcome</p>' },
    });
    await s.app.inject({
      method: 'POST',
      url: '/api/templates/welcome/send-test',
      headers: auth,
      payload: { to: 'qa@example.com', from: 'shop@example.com' },
    });
    await s.app.inject({
      method: 'PUT',
      url: '/api/forms/signup',
      headers: auth,
      payload: {
        name: 'Signup',
        consentText: 'Yes, send me news',
        tags: ['newsletter'],
        fields: [
          { name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' },
          { name: 'plan', label: 'Plan', type: 'select', options: ['Free', 'Pro'], mapTo: 'attributes.plan' },
          { name: 'agree', label: 'Agree', type: 'checkbox' },
        ],
      },
    });
    await s.page.goto(`${s.url}/?token=${TEST_TOKEN}`);
  }, 120_000);
  afterAll(() => s?.close());

  /** What axe finds on the page as it is now, a line per rule broken. */
  const violations = async (): Promise<string[]> => {
    await s.page.waitForLoadState('networkidle');
    await s.page.evaluate(axeSource);
    const results = await s.page.evaluate(
      () =>
        (window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } }).axe.run(
          document,
          {
            runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
          },
        ) as Promise<AxeResults>,
    );
    return results.violations.map((v) => `${v.id}: ${v.nodes.map((node) => node.html.slice(0, 120)).join(' ; ')}`);
  };

  test.each([
    'journeys',
    'contacts',
    'outbox',
    'team',
    'history',
    'packages',
    'credentials',
    'templates',
    'templates/welcome',
    'forms',
    'forms/signup',
  ])('the %s page breaks no WCAG rule', async (page) => {
    await s.page.goto(`${s.url}/${page}`);
    expect(await violations()).toEqual([]);
  });

  test('a new credential’s form breaks no WCAG rule', async () => {
    await s.page.goto(`${s.url}/credentials`);
    await s.page.getByRole('button', { name: 'New credential' }).click();
    await s.page.getByLabel('Type', { exact: true }).selectOption('email.smtp');
    await s.page.getByLabel('Password', { exact: true }).waitFor();
    expect(await violations()).toEqual([]);
  });

  test('a contact’s page breaks no WCAG rule', async () => {
    await s.page.goto(`${s.url}/contacts`);
    await s.page.getByText('ada@example.com').first().click();
    await expect.poll(() => s.page.getByText('plan').count()).toBeGreaterThan(0);
    expect(await violations()).toEqual([]);
  });

  test('the canvas breaks no WCAG rule', async () => {
    await s.page.goto(`${s.url}/journeys/${journeyId}`);
    expect(await violations()).toEqual([]);
  });

  test.each(['hook', 'cond', 'split', 'wait', 'tag', 'mail', 'exit'])(
    'the form of node %s breaks no WCAG rule',
    async (id) => {
      if (!s.page.url().endsWith(`/journeys/${journeyId}`)) await s.page.goto(`${s.url}/journeys/${journeyId}`);
      await s.page.locator(`.svelte-flow__node[data-id="${id}"]`).click();
      await expect.poll(() => s.page.getByText(`${id} · `).count()).toBeGreaterThan(0);
      expect(await violations()).toEqual([]);
    },
  );
});
