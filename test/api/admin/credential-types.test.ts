import { defineCredential, definePackage } from '@waymark/sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CredentialTypeView } from '../../../engine/credentials/types.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { defaultWorkspace, makeUser, makeWorkspace, scopedToken, signIn } from '../../teams/support.js';

// server/README.md "Credential types": what the editor's Credentials page draws its forms from.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

// The answer's type, its schema read as far as these tests look into it.
type CredentialType = Omit<CredentialTypeView, 'schema'> & {
  schema: { properties: Record<string, { writeOnly?: boolean }>; required?: string[] };
};

async function typesAs(headers: Record<string, string>): Promise<CredentialType[]> {
  const res = await t.app.inject({ method: 'GET', url: '/api/credential-types', headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().types;
}
const typeOf = async (type: string) => (await typesAs(t.auth)).find((c) => c.type === type);

describe('GET /api/credential-types', () => {
  test('lists every built-in credential type once, by type', async () => {
    const types = (await typesAs(t.auth)).map((c) => c.type);
    expect(types).toEqual(expect.arrayContaining(['email.smtp', 'email.dkim', 'sendgrid.account', 'sms.http-gateway']));
    expect(types).toEqual([...new Set(types)].sort());
  });

  test('an SMTP server: its package, title, description, channel and data schema', async () => {
    const smtp = await typeOf('email.smtp');
    expect(smtp).toMatchObject({
      title: 'SMTP server',
      description: expect.stringContaining('SMTP server'),
      package: { name: '@waymark/nodes-email', version: expect.any(String) },
      channel: 'email',
      events: false,
    });
    expect(smtp?.schema.required).toEqual(['host', 'port']);
  });

  test('a sending type’s schema holds the send rate the engine adds to it', async () => {
    expect((await typeOf('email.smtp'))?.schema.properties.maxPerSecond).toMatchObject({ type: 'integer' });
  });

  test('names the secret fields its schema marks writeOnly', async () => {
    expect((await typeOf('email.smtp'))?.secrets).toEqual(['/user', '/password']);
    expect((await typeOf('sendgrid.account'))?.secrets).toEqual(['/apiKey']);
  });

  test('a type that sends nothing has no channel; one that verifies provider events says so', async () => {
    expect(await typeOf('email.dkim')).toMatchObject({ channel: null, events: false, secrets: ['/privateKey'] });
    expect(await typeOf('sendgrid.account')).toMatchObject({ channel: 'email', events: true });
  });

  test('a type whose schema marks no secret has its secret-named fields found by name', async () => {
    t.runtime.registry.add(
      definePackage({
        name: 'acme-legacy',
        version: '1.0.0',
        nodes: [],
        credentials: [
          defineCredential({
            type: 'acme.login',
            title: 'Acme login',
            schema: {
              type: 'object',
              properties: { host: { type: 'string' }, password: { type: 'string' }, apiKey: { type: 'string' } },
            },
          }),
        ],
      }),
      { source: 'acme-legacy' },
    );
    const legacy = await typeOf('acme.login');
    expect(legacy).toMatchObject({
      package: { name: 'acme-legacy', version: '1.0.0' },
      secrets: ['/password', '/apiKey'],
    });
    expect(legacy).not.toHaveProperty('description');
  });

  test('answers no credential of any workspace, nor their data', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/api/credentials',
      headers: t.auth,
      payload: {
        name: 'Mailer',
        type: 'email.smtp',
        data: { host: 'smtp.example.com', port: 587, password: 'hunter2-x' },
      },
    });
    const res = await t.app.inject({ method: 'GET', url: '/api/credential-types', headers: t.auth });
    expect(res.body).not.toContain('Mailer');
    expect(res.body).not.toContain('hunter2');
  });
});

describe('who may read the credential types', () => {
  test('needs a token or session', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/credential-types' })).statusCode).toBe(401);
  });

  test('a viewer reads them, as it reads the credentials', async () => {
    await makeUser(t.runtime.db, 'viewer-types@example.com', await defaultWorkspace(t.runtime.db), 'viewer');
    const viewer = await signIn(t.app, 'viewer-types@example.com');
    expect((await typesAs(viewer.headers)).map((c) => c.type)).toContain('email.smtp');
  });

  test('a token without journeys:read is refused, naming it', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/credential-types',
      headers: await scopedToken(t, ['events:write']),
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.details[0].permission).toBe('journeys:read');
  });

  test('every workspace sees the same types: they are the installation’s, as the node catalogue', async () => {
    await makeUser(t.runtime.db, 'other-ws@example.com', null);
    const owner = await signIn(t.app, 'other-ws@example.com');
    const other = await makeWorkspace(t.app, owner, 'Other');
    const theirs = await typesAs({ ...owner.headers, 'x-waymark-workspace': other });
    expect(theirs).toEqual(await typesAs(t.auth));
  });
});
