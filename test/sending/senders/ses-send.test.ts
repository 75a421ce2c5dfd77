import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMessagesService } from '../../../engine/messages/service.js';
import { insertContact, stepScope } from '../../channels/scope.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { type ReceivedRequest, type StandIn, type StandInAnswer, startStandIn } from '../stand-in.js';
import { sigv4Problem } from './sigv4.js';

// SES v2 SendEmail (docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html) against
// a stand-in that checks each request's Signature Version 4 as AWS does.

const ACCESS_KEY = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
/** A key id as a local SES stand-in (LocalStack, a test account) hands out: shorter than AWS's. */
const SHORT_KEY = 'akid';

let t: TestApp;
let ses: StandIn;
let contacts = 0;

/** SES's answers: a SigV4 that does not verify is 403 as AWS answers it, else `next`. */
let next: (request: ReceivedRequest) => StandInAnswer = () => ({ status: 200, body: { MessageId: 'ses-1' } });

beforeAll(async () => {
  ses = await startStandIn((request) => {
    const problem = sigv4Problem(request, { [ACCESS_KEY]: SECRET, [SHORT_KEY]: SECRET }, 'ses');
    if (problem) {
      return {
        status: 403,
        headers: { 'x-amzn-errortype': 'SignatureDoesNotMatch' },
        body: { message: `The request signature we calculated does not match (${problem})` },
      };
    }
    return next(request);
  });
  t = await createTestApp(
    { WAYMARK_HTTP_ALLOW_PRIVATE: 'true', PUBLIC_URL: 'https://waymark.example.com' },
    // The default endpoint, email.<region>.amazonaws.com, is answered by the stand-in.
    { httpStandIns: { 'https://email.eu-west-1.amazonaws.com': ses.url } },
  );
});
afterAll(async () => {
  await t.close();
  await ses.close();
});

async function sesCredential(data: Record<string, unknown> = {}): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/credentials',
    headers: t.auth,
    payload: {
      name: 'SES',
      type: 'ses.account',
      data: { region: 'eu-west-1', accessKeyId: ACCESS_KEY, secretAccessKey: SECRET, endpoint: ses.url, ...data },
    },
  });
  expect(res.statusCode).toBe(201);
  return (res.json() as { id: string }).id;
}

/** SES's answer to an address that is not 7-bit ASCII (API v2 `Destination`, `FromEmailAddress`). */
function asciiAddressesOnly(request: ReceivedRequest): StandInAnswer {
  const body = JSON.parse(request.body);
  const addresses: string[] = [body.FromEmailAddress, ...body.Destination.ToAddresses];
  if (addresses.every((a) => /^[\x20-\x7e]+$/.test(a))) return { status: 200, body: { MessageId: 'ses-ascii' } };
  return { status: 400, headers: { 'x-amzn-errortype': 'BadRequestException' }, body: { message: `Missing '"'` } };
}

async function send(credential: string, answer?: StandInAnswer, mail: { from?: string; to?: string } = {}) {
  if (answer) next = () => answer;
  const before = ses.requests.length;
  contacts++;
  const contactId = await insertContact(t.runtime, { email: mail.to ?? `s${contacts}@example.org` });
  const result = await createMessagesService(await stepScope(t.runtime, { contactId }))
    .send({
      channel: 'email',
      category: 'marketing',
      from: mail.from ?? 'News <news@example.com>',
      replyTo: 'help@example.com',
      subject: 'Spring sale',
      html: '<p>Hi</p>',
      text: 'Hi',
      credential,
    })
    .catch((error: Error & { retryable?: boolean }) => ({ error }));
  next = () => ({ status: 200, body: { MessageId: 'ses-1' } });
  const listed = await t.app.inject({ method: 'GET', url: `/api/messages?contactId=${contactId}`, headers: t.auth });
  return { result, received: ses.requests[before], contactId, listed: listed.json().messages[0] };
}

describe('SES v2 SendEmail', () => {
  test('receives exactly the documented request, SigV4-signed; its MessageId becomes the providerId', async () => {
    const id = await sesCredential({ configurationSet: 'marketing-events' });
    next = () => ({ status: 200, body: { MessageId: '0102018a-ses-message-id' } });
    const { result, received, listed } = await send(id);
    expect(result).toMatchObject({ status: 'sent' });
    const messageId = (result as { messageId: string }).messageId;
    expect(received?.method).toBe('POST');
    expect(received?.url).toBe('/v2/email/outbound-emails');
    expect(received?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/eu-west-1\/ses\/aws4_request, /,
    );
    const body = JSON.parse(received?.body ?? '');
    expect(Object.keys(body).sort()).toEqual(
      ['FromEmailAddress', 'Destination', 'Content', 'EmailTags', 'ConfigurationSetName'].sort(),
    );
    expect(body).toMatchObject({
      FromEmailAddress: 'News <news@example.com>',
      Destination: { ToAddresses: [expect.stringMatching(/@example\.org$/)] },
      EmailTags: [{ Name: 'waymark_message', Value: messageId }],
      ConfigurationSetName: 'marketing-events',
    });
    const raw = Buffer.from(body.Content.Raw.Data, 'base64');
    const mime = await simpleParser(raw);
    expect(mime.subject).toBe('Spring sale');
    expect(mime.from?.value).toEqual([{ name: 'News', address: 'news@example.com' }]);
    expect(mime.replyTo?.text).toBe('help@example.com');
    expect(mime.messageId).toBe(`<${messageId}@example.com>`);
    expect(mime.html).toContain('<p>Hi</p>');
    expect(raw.toString()).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
    expect(listed).toMatchObject({ status: 'sent', credentialId: id, providerId: '0102018a-ses-message-id' });
  });

  test('a sender name beyond ASCII reaches SES in MIME encoded words, and SES takes it', async () => {
    const id = await sesCredential();
    next = asciiAddressesOnly;
    const { result, received } = await send(id, undefined, { from: 'Müller & Söhne <news@example.com>' });
    expect(result).toMatchObject({ status: 'sent' });
    const { FromEmailAddress } = JSON.parse(received?.body ?? '');
    const header = await simpleParser(`From: ${FromEmailAddress}\r\n\r\n`);
    expect(header.from?.value).toEqual([{ name: 'Müller & Söhne', address: 'news@example.com' }]);
  });

  test('a recipient domain beyond ASCII reaches SES in Punycode, and SES takes it', async () => {
    const id = await sesCredential();
    next = asciiAddressesOnly;
    const { result, received } = await send(id, undefined, { to: 'anna@bücher.example' });
    expect(result).toMatchObject({ status: 'sent' });
    expect(JSON.parse(received?.body ?? '').Destination.ToAddresses).toEqual(['anna@xn--bcher-kva.example']);
  });

  test('without an endpoint it calls email.<region>.amazonaws.com, signed for that host', async () => {
    const id = await sesCredential({ endpoint: undefined });
    const { result, received } = await send(id);
    expect(result).toMatchObject({ status: 'sent' });
    expect(received?.headers.host).toBe('email.eu-west-1.amazonaws.com');
  });

  test('temporary credentials send their session token, signed', async () => {
    const id = await sesCredential({ sessionToken: 'FwoGZXIvYXdzEJr-session' });
    const { result, received } = await send(id);
    expect(result).toMatchObject({ status: 'sent' });
    expect(received?.headers['x-amz-security-token']).toBe('FwoGZXIvYXdzEJr-session');
    expect(String(received?.headers.authorization)).toMatch(/SignedHeaders=[^,]*x-amz-security-token/);
  });

  test('an access key id of any length is taken and signs the request', async () => {
    const id = await sesCredential({ accessKeyId: SHORT_KEY });
    const { result, received } = await send(id);
    expect(result).toMatchObject({ status: 'sent' });
    expect(received?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=akid\/\d{8}\/eu-west-1\/ses\//);
  });

  test('a wrong secret key fails the step provider.auth, nothing sent', async () => {
    const id = await sesCredential({ secretAccessKey: 'not-the-secret' });
    const { result, listed } = await send(id);
    const { error } = result as { error: Error & { retryable: boolean } };
    expect(error.message).toMatch(/^provider\.auth: SES answered 403 \(SignatureDoesNotMatch/);
    expect(error.retryable).toBe(false);
    expect(listed).toMatchObject({ status: 'failed', providerId: null });
  });

  test('MessageRejected fails the step provider.rejected, naming it', async () => {
    const id = await sesCredential();
    const { result } = await send(id, {
      status: 400,
      headers: { 'x-amzn-errortype': 'MessageRejected' },
      body: { message: 'Email address is not verified.' },
    });
    const { error } = result as { error: Error & { retryable: boolean } };
    expect(error.message).toMatch(/^provider\.rejected: .*MessageRejected: Email address is not verified/);
    expect(error.retryable).toBe(false);
  });

  test('TooManyRequestsException holds the message until Retry-After', async () => {
    const id = await sesCredential();
    const before = Date.now();
    const { result, listed } = await send(id, {
      status: 429,
      headers: { 'x-amzn-errortype': 'TooManyRequestsException', 'retry-after': '2' },
      body: { message: 'Too many requests' },
    });
    expect(result).toMatchObject({ status: 'delayed', reason: 'send-rate' });
    expect((result as { until: Date }).until.getTime()).toBeGreaterThanOrEqual(before + 1900);
    expect(listed).toMatchObject({ status: 'queued' });
  });

  test('the sending-rate Throttling answer (400) is held too, not failed', async () => {
    const id = await sesCredential();
    const { result } = await send(id, {
      status: 400,
      headers: { 'x-amzn-errortype': 'ThrottlingException' },
      body: { message: 'Maximum sending rate exceeded.' },
    });
    expect(result).toMatchObject({ status: 'delayed', reason: 'send-rate' });
  });

  test('a 5xx is provider.unavailable and retried', async () => {
    const id = await sesCredential();
    const { result } = await send(id, { status: 503, body: { message: 'Service Unavailable' } });
    const { error } = result as { error: Error & { retryable: boolean } };
    expect(error.message).toMatch(/^provider\.unavailable: /);
    expect(error.retryable).toBe(true);
  });

  test('data without a region or key is refused at /data', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/credentials',
      headers: t.auth,
      payload: { name: 'x', type: 'ses.account', data: { accessKeyId: ACCESS_KEY } },
    });
    expect(res.statusCode).toBe(400);
    const paths = (res.json().error.details as { path: string }[]).map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['/data/region', '/data/secretAccessKey']));
  });
});
