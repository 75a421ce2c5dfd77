import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCredentialsService } from '../../../engine/credentials/service.js';
import { stepScope } from '../../channels/scope.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const smtp = {
  name: 'Mailgun',
  type: 'email.smtp',
  data: { host: 'smtp.example.com', port: 587, user: 'u', password: 'hunter2-secret' },
};

describe('credentials API', () => {
  test('creates a credential and never returns its data', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/credentials', headers: t.auth, payload: smtp });
    expect(res.statusCode).toBe(201);
    expect(Object.keys(res.json()).sort()).toEqual(['channel', 'createdAt', 'id', 'name', 'type']);
    expect(res.json().channel).toBe('email');
    expect(res.body).not.toContain('hunter2');
    const list = await t.app.inject({ method: 'GET', url: '/api/credentials', headers: t.auth });
    expect(list.json().credentials).toContainEqual(res.json());
    expect(list.body).not.toContain('hunter2');
  });

  test('stores the data encrypted', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/credentials', headers: t.auth, payload: smtp });
    const row = await t.runtime.db
      .selectFrom('credentials')
      .select('data_encrypted')
      .where('id', '=', res.json().id)
      .executeTakeFirstOrThrow();
    expect(row.data_encrypted).not.toContain('hunter2');
    const scope = await stepScope(t.runtime);
    expect(await createCredentialsService(scope, ['email.smtp']).get(res.json().id)).toMatchObject(smtp.data);
  });

  test('a node gets no credential of a type it does not declare', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/credentials', headers: t.auth, payload: smtp });
    await expect(
      createCredentialsService(await stepScope(t.runtime), ['sms.http-gateway']).get(res.json().id),
    ).rejects.toThrow(/not usable/);
  });

  test('refuses data that does not fit the type’s schema, naming the field', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/credentials',
      headers: t.auth,
      payload: { ...smtp, data: { port: 'x' } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
    expect(res.json().error.details.map((d: { path: string }) => d.path)).toContain('/data/host');
  });

  test('names a field the type does not know inside data, and a missing one, by their own paths', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/credentials',
      headers: t.auth,
      payload: { ...smtp, data: { port: 587, extra: 1 } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual(
      expect.arrayContaining([
        { path: '/data/extra', message: 'body/data/extra is not a known field' },
        { path: '/data/host', message: 'body/data/host is required' },
      ]),
    );
  });

  test('names the data’s fields with the body’s own, in one answer', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/credentials',
      headers: t.auth,
      payload: { ...smtp, name: 5, data: { ...smtp.data, port: 'x' } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.map((d: { path: string }) => d.path)).toEqual(['/name', '/data/port']);
  });

  test('refuses an unknown type', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/credentials',
      headers: t.auth,
      payload: { ...smtp, type: 'nope.x' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toBe('/type');
  });

  test('renames and replaces data, then deletes', async () => {
    const { id } = (
      await t.app.inject({ method: 'POST', url: '/api/credentials', headers: t.auth, payload: smtp })
    ).json();
    const put = await t.app.inject({
      method: 'PUT',
      url: `/api/credentials/${id}`,
      headers: t.auth,
      payload: { name: 'Renamed', data: { host: 'other.example.com', port: 25 } },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ id, name: 'Renamed' });
    expect(await createCredentialsService(await stepScope(t.runtime), ['email.smtp']).get(id)).toMatchObject({
      host: 'other.example.com',
      port: 25,
    });
    expect((await t.app.inject({ method: 'DELETE', url: `/api/credentials/${id}`, headers: t.auth })).statusCode).toBe(
      204,
    );
    expect((await t.app.inject({ method: 'DELETE', url: `/api/credentials/${id}`, headers: t.auth })).statusCode).toBe(
      404,
    );
  });

  test('answers 400 naming the id for an id that is not a UUID', async () => {
    const calls = [
      { method: 'PUT', url: '/api/credentials/not-a-uuid', payload: { name: 'x' } },
      { method: 'DELETE', url: '/api/credentials/not-a-uuid' },
      { method: 'GET', url: '/api/credentials/not-a-uuid/backlog' },
    ] as const;
    for (const call of calls) {
      const res = await t.app.inject({ ...call, headers: t.auth });
      expect(res.statusCode, `${call.method} ${call.url}`).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
      expect(res.json().error.details).toEqual([{ path: '/id', message: 'params/id must match format "uuid"' }]);
    }
  });

  test('needs the API token', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/credentials' })).statusCode).toBe(401);
  });
});

describe('a blank credential name', () => {
  const blank = { path: '/name', message: 'body/name must not be blank' };

  test('is refused on create and on update, and no credential is named so', async () => {
    const post = (payload: object) =>
      t.app.inject({ method: 'POST', url: '/api/credentials', headers: t.auth, payload });
    const made = await post({ ...smtp, name: '  ' });
    expect(made.statusCode).toBe(400);
    expect(made.json().error).toMatchObject({ code: 'validation_failed', details: [blank] });
    const { id } = (await post({ ...smtp, name: 'Kept' })).json();
    const renamed = await t.app.inject({
      method: 'PUT',
      url: `/api/credentials/${id}`,
      headers: t.auth,
      payload: { name: '\n ' },
    });
    expect(renamed.statusCode).toBe(400);
    expect(renamed.json().error).toMatchObject({ code: 'validation_failed', details: [blank] });
    const list = await t.app.inject({ method: 'GET', url: '/api/credentials', headers: t.auth });
    const names = list.json().credentials.map((c: { name: string }) => c.name);
    expect(names).toContain('Kept');
    expect(names.filter((name: string) => !name.trim())).toEqual([]);
  });
});
