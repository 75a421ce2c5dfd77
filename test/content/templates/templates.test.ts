import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://mail.example.com' });
});
afterAll(() => t.close());

const put = (id: string, payload: object) =>
  t.app.inject({ method: 'PUT', url: `/api/templates/${id}`, headers: t.auth, payload });
const welcome = { name: 'Welcome', format: 'html', subject: 'Hi {{ contact.attributes.name }}', body: '<p>Hello</p>' };

describe('templates API', () => {
  test('a new template is version 1; a change makes version 2; the same content saves nothing', async () => {
    const first = await put('welcome', welcome);
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ id: 'welcome', version: 1, text: null, versions: [{ version: 1 }] });
    const second = await put('welcome', { ...welcome, body: '<p>Hello again</p>' });
    expect(second.statusCode).toBe(200);
    expect(second.json().version).toBe(2);
    const same = await put('welcome', { ...welcome, body: '<p>Hello again</p>' });
    expect(same.json().version).toBe(2);
    expect(same.json().versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
  });

  test('an older version stays readable', async () => {
    await put('v-old', welcome);
    await put('v-old', { ...welcome, subject: 'Changed' });
    const res = await t.app.inject({ url: '/api/templates/v-old/versions/1', headers: t.auth });
    expect(res.json()).toMatchObject({ id: 'v-old', version: 1, subject: welcome.subject, body: welcome.body });
  });

  test('a version beyond any a template can have is unknown: 404', async () => {
    await put('v-far', welcome);
    for (const version of ['2', '2147483648', '99999999999999999999']) {
      const res = await t.app.inject({ url: `/api/templates/v-far/versions/${version}`, headers: t.auth });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
  });

  test('lists templates by id', async () => {
    await put('listed', welcome);
    const res = await t.app.inject({ url: '/api/templates', headers: t.auth });
    expect(res.json().templates).toContainEqual(expect.objectContaining({ id: 'listed', name: 'Welcome', version: 1 }));
  });

  test('an id with a slash-free but invalid spelling is refused', async () => {
    const res = await put('-bad', welcome);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
  });

  test('broken content is stored as given', async () => {
    const res = await put('broken', { ...welcome, body: '<p>{% if x %}</p>' });
    expect(res.statusCode).toBe(201);
  });

  test('deleting answers 204, then 404', async () => {
    await put('gone', welcome);
    expect((await t.app.inject({ method: 'DELETE', url: '/api/templates/gone', headers: t.auth })).statusCode).toBe(
      204,
    );
    expect((await t.app.inject({ url: '/api/templates/gone', headers: t.auth })).statusCode).toBe(404);
  });

  test('a template a journey draft names cannot be deleted', async () => {
    await put('in-use', welcome);
    const graph = {
      nodes: [
        { id: 'e', type: 'core.event', version: 1, params: { event: 'x' }, position: { x: 0, y: 0 } },
        {
          id: 'm',
          type: 'email.send',
          version: 1,
          params: { from: 'a@example.com', template: 'in-use', category: 'marketing' },
          position: { x: 0, y: 100 },
        },
      ],
      edges: [{ id: 'e1', source: 'e', sourceHandle: 'out', target: 'm' }],
    };
    const made = await t.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: t.auth,
      payload: { name: 'Uses it', graph },
    });
    const id = made.json().id;
    const res = await t.app.inject({ method: 'DELETE', url: '/api/templates/in-use', headers: t.auth });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.details).toEqual([
      { path: `/journeys/${id}`, nodeId: 'm', message: `used by journey Uses it (${id})` },
    ]);
  });

  test('a template a form sends as its confirmation cannot be deleted, the form named at its path', async () => {
    await put('confirm-mail', welcome);
    await t.app.inject({
      method: 'PUT',
      url: '/api/forms/join',
      headers: t.auth,
      payload: {
        name: 'Join',
        fields: [{ name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' }],
        confirmationTemplateId: 'confirm-mail',
      },
    });
    const res = await t.app.inject({ method: 'DELETE', url: '/api/templates/confirm-mail', headers: t.auth });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.details).toEqual([{ path: '/forms/join', message: 'used by form join' }]);
  });
});

describe('templates API limits and users', () => {
  test('a template over 1 MiB is refused: 413', async () => {
    const res = await put('huge', { ...welcome, body: 'x'.repeat(1024 * 1024 + 1) });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('payload_too_large');
  });

  test('a template a published version names cannot be deleted until its journey is archived', async () => {
    await put('published', welcome);
    const send = (params: object) => ({
      nodes: [
        { id: 'e', type: 'core.event', version: 1, params: { event: 'x' }, position: { x: 0, y: 0 } },
        {
          id: 'm',
          type: 'email.send',
          version: 1,
          params: { from: 'a@example.com', category: 'marketing', ...params },
          position: { x: 0, y: 100 },
        },
      ],
      edges: [{ id: 'e1', source: 'e', sourceHandle: 'out', target: 'm' }],
    });
    const made = await t.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: t.auth,
      payload: { name: 'Published', graph: send({ template: 'published' }) },
    });
    const id = made.json().id;
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/journeys/${id}/publish`, headers: t.auth })).statusCode,
    ).toBe(201);
    // The draft no longer names it; the published version still does.
    await t.app.inject({
      method: 'PUT',
      url: `/api/journeys/${id}/draft`,
      headers: t.auth,
      payload: { graph: send({ subject: 'S', html: '<p>x</p>' }) },
    });
    const refused = await t.app.inject({ method: 'DELETE', url: '/api/templates/published', headers: t.auth });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({
      code: 'conflict',
      details: [{ message: expect.stringContaining(id) }],
    });
    await t.app.inject({ method: 'DELETE', url: `/api/journeys/${id}`, headers: t.auth });
    expect(
      (await t.app.inject({ method: 'DELETE', url: '/api/templates/published', headers: t.auth })).statusCode,
    ).toBe(204);
  });
});

describe('snippets API', () => {
  test('creates, updates, lists and deletes a snippet', async () => {
    const url = '/api/snippets/footer';
    const created = await t.app.inject({ method: 'PUT', url, headers: t.auth, payload: { body: '<p>F</p>' } });
    expect(created.statusCode).toBe(201);
    const updated = await t.app.inject({ method: 'PUT', url, headers: t.auth, payload: { body: '<p>G</p>' } });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ name: 'footer', body: '<p>G</p>' });
    const list = await t.app.inject({ url: '/api/snippets', headers: t.auth });
    expect(list.json().snippets.map((s: { name: string }) => s.name)).toContain('footer');
    expect((await t.app.inject({ method: 'DELETE', url, headers: t.auth })).statusCode).toBe(204);
    expect((await t.app.inject({ url, headers: t.auth })).statusCode).toBe(404);
  });
});

describe('a blank template name', () => {
  test('is refused for a new template and a new version, and none is stored', async () => {
    const blank = { path: '/name', message: 'body/name must not be blank' };
    const made = await put('blank-name', { ...welcome, name: '   ' });
    expect(made.statusCode).toBe(400);
    expect(made.json().error).toMatchObject({ code: 'validation_failed', details: [blank] });
    await put('kept-name', welcome);
    const changed = await put('kept-name', { ...welcome, name: ' ', body: '<p>Changed</p>' });
    expect(changed.statusCode).toBe(400);
    expect(changed.json().error).toMatchObject({ code: 'validation_failed', details: [blank] });
    const list = (await t.app.inject({ url: '/api/templates', headers: t.auth })).json().templates;
    expect(list.map((tpl: { id: string }) => tpl.id)).not.toContain('blank-name');
    expect(list.find((tpl: { id: string }) => tpl.id === 'kept-name')).toMatchObject({ name: 'Welcome', version: 1 });
  });
});
