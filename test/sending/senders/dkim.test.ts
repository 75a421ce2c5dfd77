import { generateKeyPairSync } from 'node:crypto';
import { dkimVerify } from 'mailauth';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMessagesService } from '../../../engine/messages/service.js';
import { smtpDeliver } from '../../../nodes/email/src/smtp-deliver.js';
import { closeSmtpPools } from '../../../nodes/email/src/smtp-pools.js';
import { insertContact, stepScope } from '../../channels/scope.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { type RawSmtpServer, startRawSmtpServer } from '../smtp-server.js';

let t: TestApp;
let smtp: RawSmtpServer;

beforeAll(async () => {
  smtp = await startRawSmtpServer();
  t = await createTestApp({ SMTP_URL: smtp.url, PUBLIC_URL: 'https://waymark.example.com' });
});
afterAll(async () => {
  closeSmtpPools();
  await t.close();
  await smtp.close();
});

const pem = (bits: number, type: 'pkcs1' | 'pkcs8' = 'pkcs8') =>
  generateKeyPairSync('rsa', { modulusLength: bits }).privateKey.export({ type, format: 'pem' }).toString();

async function createKey(data: Record<string, unknown>) {
  return t.app.inject({
    method: 'POST',
    url: '/api/credentials',
    headers: t.auth,
    payload: { name: `dkim ${String(data.domain)}`, type: 'email.dkim', data },
  });
}

async function record(domain: string) {
  const res = await t.app.inject({ method: 'GET', url: `/api/settings/dkim/${domain}`, headers: t.auth });
  return res.json() as { record: { name: string; value: string }; selector: string; credentialId: string };
}

/** Verifies a raw mail as a receiver would, looking the key up in the records Waymark shows. */
async function verify(raw: Buffer) {
  return dkimVerify(raw, {
    resolver: async (name: string, type: string) => {
      const domain = /^[^.]+\._domainkey\.(.+)$/.exec(name)?.[1];
      if (type !== 'TXT' || !domain) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      const found = await record(domain);
      if (found.record.name !== name) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      return [[found.record.value]];
    },
  });
}

async function send(from: string, extra: { deliver?: ReturnType<typeof smtpDeliver> } = {}) {
  const contactId = await insertContact(t.runtime, { email: `c${Math.random()}@example.org` });
  const before = smtp.raws.length;
  const result = await createMessagesService(await stepScope(t.runtime, { contactId })).send({
    channel: 'email',
    category: 'marketing',
    from,
    replyTo: 'help@example.com',
    subject: 'Spring sale',
    html: '<p>Hi</p><a href="https://shop.example.com/a">A</a>',
    text: 'Hi',
    ...extra,
  });
  expect(result.status).toBe('sent');
  const raws = await smtp.waitFor(before + 1);
  return raws[before] as Buffer;
}

const signatureOf = (raw: Buffer) =>
  /^DKIM-Signature:(.*(?:\r\n[ \t].*)*)/im.exec(raw.toString('utf8'))?.[1]?.replace(/\s+/g, '') ?? null;

describe('DKIM signing', () => {
  beforeAll(async () => {
    const res = await createKey({ domain: 'Example.COM' });
    expect(res.statusCode).toBe(201);
  });

  test('mail from the domain carries a signature that verifies against the published record', async () => {
    const raw = await send('News <news@example.com>');
    const signature = signatureOf(raw);
    expect(signature).toContain('a=rsa-sha256');
    expect(signature).toContain('c=relaxed/relaxed');
    expect(signature).toContain('d=example.com');
    expect(signature).toContain('s=waymark');
    const signed = (/(?:^|;)h=([^;]+)/.exec(signature ?? '')?.[1] ?? '').toLowerCase().split(':');
    for (const field of ['from', 'to', 'subject', 'date', 'message-id', 'mime-version', 'content-type', 'reply-to']) {
      expect(signed).toContain(field);
    }
    // RFC 8058 §4: the one-click unsubscribe pair must be signed.
    expect(signed).toContain('list-unsubscribe');
    expect(signed).toContain('list-unsubscribe-post');
    const { results } = await verify(raw);
    expect(results[0]?.status.result).toBe('pass');
    expect(results[0]?.signingDomain).toBe('example.com');
  });

  test('an altered mail no longer verifies', async () => {
    const raw = await send('News <news@example.com>');
    const altered = Buffer.from(raw.toString('utf8').replace('Subject: Spring sale', 'Subject: Spring sale!'));
    const { results } = await verify(altered);
    expect(results[0]?.status.result).toBe('fail');
  });

  test('mail through an email.smtp credential is signed as well', async () => {
    const raw = await send('Shop <shop@EXAMPLE.com>', {
      deliver: smtpDeliver({ host: smtp.host, port: smtp.port, requireTLS: false }),
    });
    const { results } = await verify(raw);
    expect(results[0]?.status.result).toBe('pass');
  });

  test('mail from another domain is not signed', async () => {
    const raw = await send('News <news@other.example.net>');
    expect(signatureOf(raw)).toBeNull();
  });

  test('rotating the key with a new selector signs with it and publishes it', async () => {
    const created = await createKey({ domain: 'rotate.example', privateKey: pem(1024, 'pkcs1') });
    const id = (created.json() as { id: string }).id;
    const first = await record('rotate.example');
    const put = await t.app.inject({
      method: 'PUT',
      url: `/api/credentials/${id}`,
      headers: t.auth,
      payload: { data: { domain: 'rotate.example', selector: 's2027' } },
    });
    expect(put.statusCode).toBe(200);
    const second = await record('rotate.example');
    expect(second.record.name).toBe('s2027._domainkey.rotate.example');
    expect(second.record.value).not.toBe(first.record.value);
    const raw = await send('News <news@rotate.example>');
    expect(signatureOf(raw)).toContain('s=s2027');
    expect((await verify(raw)).results[0]?.status.result).toBe('pass');
  });
});

describe('DKIM settings', () => {
  test('the record to publish names the selector and holds the public key', async () => {
    await createKey({ domain: 'records.example', selector: 'mail1', privateKey: pem(2048) });
    const res = await t.app.inject({ method: 'GET', url: '/api/settings/dkim/RECORDS.example', headers: t.auth });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      domain: 'records.example',
      selector: 'mail1',
      record: { name: 'mail1._domainkey.records.example', type: 'TXT' },
    });
    expect(body.record.value).toMatch(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/]+=*$/);
  });

  test('the list shows each domain with its selector and credential', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/settings/dkim', headers: t.auth });
    expect(res.statusCode).toBe(200);
    const domains = (res.json() as { domains: { domain: string }[] }).domains.map((d) => d.domain);
    expect(domains).toContain('example.com');
  });

  test('a domain without a key is 404', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/settings/dkim/nokey.example', headers: t.auth });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
  });

  test('a :domain that is not a hostname is 400', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/settings/dkim/bad_domain!', headers: t.auth });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
  });

  test('a second key for a domain is 409, whatever its case', async () => {
    const res = await createKey({ domain: 'EXAMPLE.com' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('conflict');
  });

  test('a domain written with a trailing dot is refused at /data/domain, not kept as a second key', async () => {
    const res = await createKey({ domain: 'EXAMPLE.com.', selector: 's2' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: '/data/domain', message: '/data/domain must be a hostname, without a trailing dot' },
    ]);
    const listed = await t.app.inject({ method: 'GET', url: '/api/settings/dkim', headers: t.auth });
    expect((listed.json() as { domains: { domain: string }[] }).domains.map((d) => d.domain)).not.toContain(
      'example.com.',
    );
  });

  test('a private key that is not PEM is refused at /data/privateKey', async () => {
    const res = await createKey({ domain: 'bad-key.example', privateKey: 'not a key' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toBe('/data/privateKey');
  });

  test('a 512-bit key is refused', async () => {
    const res = await createKey({ domain: 'small-key.example', privateKey: pem(512) });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/512 bits/);
  });

  test('a domain that is not a hostname is refused at /data/domain', async () => {
    const res = await createKey({ domain: 'not a domain' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toBe('/data/domain');
  });
});
