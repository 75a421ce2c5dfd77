import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../../support/runtime.js';

// API.md "Journeys": an invalid draft's publish answers 422 invalid_graph, each problem naming
// its node and the JSON pointer of the param, for the built-in email.send's either-or params too.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

async function publishEmail(params: object) {
  const graph = {
    nodes: [
      {
        id: 'hook',
        type: 'core.webhook',
        version: 1,
        params: { secret: 'a-secret-of-16-chars' },
        position: { x: 0, y: 0 },
      },
      { id: 'mail', type: 'email.send', version: 1, params, position: { x: 0, y: 100 } },
    ],
    edges: [{ id: 'e1', source: 'hook', sourceHandle: 'out', target: 'mail' }],
  };
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/journeys',
    headers: t.auth,
    payload: { name: 'Mail', graph },
  });
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/journeys/${created.json().id}/publish`,
    headers: t.auth,
  });
  expect([res.statusCode, res.json().error.code]).toEqual([422, 'invalid_graph']);
  return res.json().error.details;
}

const base = { from: 'News <news@example.com>', category: 'marketing' };

describe('publishing an email.send', () => {
  test('with a template and inline html names /html as not allowed with the template', async () => {
    const details = await publishEmail({ ...base, template: 'welcome', html: '<p>Hi</p>' });
    expect(details).toContainEqual({ nodeId: 'mail', path: '/html', message: '/html is not allowed with template' });
    expect(details.filter((d: { path?: string }) => d.path === '')).toEqual([]);
  });

  test('with neither a template nor html names the missing /html alone', async () => {
    const details = await publishEmail({ ...base, subject: 'Hi' });
    expect(details).toEqual([{ nodeId: 'mail', path: '/html', message: '/html is required' }]);
  });

  test('with a From that is no email address names /from', async () => {
    const details = await publishEmail({ ...base, from: 'Newsletter team', subject: 'Hi', html: '<p>Hi</p>' });
    expect(details).toEqual([
      {
        nodeId: 'mail',
        path: '/from',
        message: '/from must be an email address, such as news@example.com or News <news@example.com>',
      },
    ]);
  });

  test.each([
    ['a second address', 'ceo@bank.com, <shop@example.com>'],
    ['a header after CR LF', 'Shop\r\nBcc: x@evil.com <shop@example.com>'],
  ])('with a From or Reply-To holding %s names /from and /replyTo', async (_what, from) => {
    const details = await publishEmail({ ...base, from, replyTo: from, subject: 'Hi', html: '<p>Hi</p>' });
    expect(details).toEqual(
      ['/from', '/replyTo'].map((path) => ({
        nodeId: 'mail',
        path,
        message: `${path} must be an email address, such as news@example.com or News <news@example.com>`,
      })),
    );
  });
});
