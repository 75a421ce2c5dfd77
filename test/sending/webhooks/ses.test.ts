import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventsOf } from '../../channels/scope.js';
import { type StandIn, startStandIn } from '../stand-in.js';
import { providerHookApp } from './support.js';

// SES events come by Amazon SNS (docs.aws.amazon.com/sns "Verifying the signatures of Amazon
// SNS messages"): each message signed with SNS's key, its certificate at SigningCertURL on
// sns.<region>.amazonaws.com. Here that host is a stand-in serving a certificate this test made.

const TOPIC = 'arn:aws:sns:us-west-2:123456789012:ses-events';
const SNS_HOST = 'https://sns.us-west-2.amazonaws.com';
const CERT_URL = `${SNS_HOST}/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem`;
const FOREIGN = 'https://sns.us-west-2.amazonaws.com.attacker.example';

/** A self-signed RSA certificate and its key, as SNS has (made with openssl). */
function certificate(): { pem: string; key: KeyObject } {
  const dir = mkdtempSync(path.join(tmpdir(), 'sns-cert-'));
  try {
    const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
    const subject = ['-subj', '/CN=sns.amazonaws.com', '-days', '1'];
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, ...subject],
      {
        stdio: 'ignore',
      },
    );
    return { pem: readFileSync(cert, 'utf8'), key: createPrivateKey(readFileSync(key)) };
  } catch {
    throw new Error('openssl could not make a test certificate');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let sns: StandIn;
let foreign: StandIn;
let snsKey: KeyObject;
/** Certificate paths SNS answers 503 for while listed (an outage of its certificate host). */
const unavailable = new Set<string>();
beforeAll(async () => {
  const made = certificate();
  snsKey = made.key;
  sns = await startStandIn((request) => {
    if (unavailable.has(request.url)) return { status: 503, raw: 'Service Unavailable' };
    return request.url.endsWith('.pem')
      ? { status: 200, headers: { 'content-type': 'application/x-pem-file' }, raw: made.pem }
      : { status: 200, headers: { 'content-type': 'text/xml' }, raw: '<ConfirmSubscriptionResponse/>' };
  });
  foreign = await startStandIn(() => ({ status: 200, raw: made.pem }));
});
afterAll(async () => {
  await sns.close();
  await foreign.close();
});

const hooks = providerHookApp(
  { WAYMARK_HTTP_ALLOW_PRIVATE: 'true' },
  {
    get httpStandIns() {
      return { [SNS_HOST]: sns.url, [FOREIGN]: foreign.url };
    },
  },
);

beforeAll(async () => {
  await hooks.credential('ses.account', {
    region: 'us-west-2',
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'secret',
    snsTopicArns: [TOPIC],
  });
});

type Sns = Record<string, string>;

/** SNS's signature (docs: the fields in order, each name and value on its own line). */
function signed(message: Sns, key: KeyObject = snsKey): Sns {
  const fields =
    message.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  const text = fields
    .filter((f) => message[f] !== undefined)
    .map((f) => `${f}\n${message[f]}\n`)
    .join('');
  const algorithm = message.SignatureVersion === '2' ? 'sha256' : 'sha1';
  return { ...message, Signature: sign(algorithm, Buffer.from(text), key).toString('base64') };
}

let sequence = 0;
/** An SNS Notification carrying an SES event (the envelope of SNS's HTTP/S format sample). */
function notification(ses: object, extra: Sns = {}): Sns {
  sequence++;
  return {
    Type: 'Notification',
    MessageId: `22b80b92-fdea-4c2c-8f9d-bdfb0c7b${String(sequence).padStart(4, '0')}`,
    TopicArn: TOPIC,
    Message: JSON.stringify(ses),
    Timestamp: '2026-12-03T00:54:06.655Z',
    SignatureVersion: '1',
    SigningCertURL: CERT_URL,
    UnsubscribeURL: `${SNS_HOST}/?Action=Unsubscribe&SubscriptionArn=${TOPIC}:c9135db0`,
    ...extra,
  };
}

/** SNS posts its JSON as text/plain. */
const post = (message: Sns) =>
  hooks.post('ses', JSON.stringify(message), { 'content-type': 'text/plain; charset=UTF-8' });

/** The SES bounce notification sample (docs.aws.amazon.com/ses "Amazon SNS notification examples"). */
const bounce = (email: string, messageId: string, bounceType = 'Permanent') => ({
  notificationType: 'Bounce',
  bounce: {
    bounceType,
    reportingMTA: 'dns; email.example.com',
    bouncedRecipients: [
      {
        emailAddress: email,
        status: '5.1.1',
        action: 'failed',
        diagnosticCode: `smtp; 550 5.1.1 <${email}>... User`,
      },
    ],
    bounceSubType: 'General',
    timestamp: '2016-01-27T14:59:38.237Z',
    feedbackId: '00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa068a-000000',
    remoteMtaIp: '127.0.2.0',
  },
  mail: {
    timestamp: '2016-01-27T14:59:38.237Z',
    source: 'john@example.com',
    sourceArn: 'arn:aws:ses:us-west-2:888888888888:identity/example.com',
    sourceIp: '127.0.3.0',
    sendingAccountId: '123456789012',
    messageId,
    destination: [email],
    headersTruncated: false,
  },
});

/** The SES event publishing Complaint sample, with its tags (waymark_message among them). */
const complaint = (email: string, sesId: string, waymark: string) => ({
  eventType: 'Complaint',
  complaint: {
    feedbackId: '0100015ec7d5d1c6-2a8f3a4c-4e04-4b0c-8e3d-1cf2c4a3e1a5-000000',
    complaintSubType: null,
    complainedRecipients: [{ emailAddress: email }],
    timestamp: '2017-08-05T00:41:02.669Z',
    userAgent: 'Mozilla/5.0',
    complaintFeedbackType: 'abuse',
    arrivalDate: '2017-08-05T00:41:02.669Z',
  },
  mail: {
    timestamp: '2017-08-05T00:40:01.123Z',
    source: 'Sender Name <sender@example.com>',
    sendingAccountId: '123456789012',
    messageId: sesId,
    destination: [email],
    headersTruncated: false,
    tags: { 'ses:configuration-set': ['ConfigSet'], waymark_message: [waymark] },
  },
});

describe('SES events by Amazon SNS', () => {
  test('a signed SubscriptionConfirmation is confirmed by visiting its SubscribeURL', async () => {
    const subscribeUrl = `${SNS_HOST}/?Action=ConfirmSubscription&TopicArn=${TOPIC}&Token=2336412f37fb687f5d51e6e2`;
    const confirmation = signed({
      Type: 'SubscriptionConfirmation',
      MessageId: '165545c9-2a5c-472c-8df2-7ff2be2b3b1b',
      Token: '2336412f37fb687f5d51e6e2',
      TopicArn: TOPIC,
      Message: `You have chosen to subscribe to the topic ${TOPIC}.`,
      SubscribeURL: subscribeUrl,
      Timestamp: '2026-12-03T20:45:04.751Z',
      SignatureVersion: '1',
      SigningCertURL: CERT_URL,
    });
    const res = await post(confirmation);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ recorded: 0, duplicates: 0, unmatched: 0, ignored: 0 });
    const visits = sns.requests.filter((r) => r.url.startsWith('/?Action=ConfirmSubscription'));
    expect(visits.map((r) => r.url)).toEqual([subscribeUrl.slice(SNS_HOST.length)]);
  });

  test('the bounce sample is a hard bounce matched by the SES messageId; the address is undeliverable', async () => {
    const { contactId, email, messageId } = await hooks.sent('00000138111222aa-33322211-cccc-ddddaaaa0680-000001');
    const res = await post(signed(notification(bounce(email, '00000138111222aa-33322211-cccc-ddddaaaa0680-000001'))));
    expect(res.json()).toEqual({ recorded: 1, duplicates: 0, unmatched: 0, ignored: 0 });
    const [event] = await eventsOf(hooks.t.runtime, contactId, 'email.bounced');
    expect(event?.properties).toEqual({ messageId, nodeId: 'mail', kind: 'hard', status: '5.1.1', provider: 'ses' });
    expect((await hooks.contact(contactId)).emailUndeliverable).toMatchObject({ reason: 'bounced', status: '5.1.1' });
  });

  test('a Transient bounce is soft', async () => {
    const { contactId, email } = await hooks.sent('ses-transient');
    await post(signed(notification(bounce(email, 'ses-transient', 'Transient'))));
    const [event] = await eventsOf(hooks.t.runtime, contactId, 'email.bounced');
    expect(event?.properties).toMatchObject({ kind: 'soft' });
    expect((await hooks.contact(contactId)).emailUndeliverable).toBeNull();
  });

  test('the complaint sample (SignatureVersion 2) is matched by its waymark_message tag and unsubscribes', async () => {
    const { contactId, email, messageId } = await hooks.sent('ses-complained');
    const message = notification(complaint(email, 'another-ses-id', messageId), { SignatureVersion: '2' });
    expect((await post(signed(message))).json()).toMatchObject({ recorded: 1 });
    const [event] = await eventsOf(hooks.t.runtime, contactId, 'email.complained');
    expect(event?.properties).toEqual({ messageId, nodeId: 'mail', provider: 'ses' });
    expect((await hooks.contact(contactId)).consent.email).toMatchObject({
      status: 'unsubscribed',
      source: 'complaint',
    });
    expect(await hooks.mailAgain(contactId)).toMatchObject({ status: 'suppressed', reason: 'complained' });
  });

  test('a delivery is recorded per recipient; one redelivered by SNS is a duplicate', async () => {
    const { contactId, email, messageId } = await hooks.sent('ses-delivered');
    const delivery = {
      notificationType: 'Delivery',
      mail: { timestamp: '2016-01-27T14:59:38.237Z', messageId: 'ses-delivered', destination: [email] },
      delivery: { timestamp: '2016-01-27T14:59:38.237Z', recipients: [email], smtpResponse: '250 ok' },
    };
    const message = signed(notification(delivery));
    expect((await post(message)).json()).toEqual({ recorded: 1, duplicates: 0, unmatched: 0, ignored: 0 });
    expect((await post(message)).json()).toEqual({ recorded: 0, duplicates: 1, unmatched: 0, ignored: 0 });
    const events = await eventsOf(hooks.t.runtime, contactId, 'email.delivered');
    expect(events.map((e) => e.properties)).toEqual([{ messageId, nodeId: 'mail', provider: 'ses' }]);
  });

  test('other SES events (Open) are ignored', async () => {
    const open = { eventType: 'Open', mail: { messageId: 'x' }, open: { ipAddress: '192.0.2.1' } };
    expect((await post(signed(notification(open)))).json()).toMatchObject({ ignored: 1 });
  });

  test('a message signed by another key is 401 and records nothing', async () => {
    const { contactId, email } = await hooks.sent('ses-forged');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const res = await post(signed(notification(bounce(email, 'ses-forged')), other));
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthorized');
    expect(await eventsOf(hooks.t.runtime, contactId, 'email.bounced')).toHaveLength(0);
  });

  test('a Message changed after signing is 401', async () => {
    const { email } = await hooks.sent('ses-tampered');
    const message = signed(notification(bounce(email, 'ses-tampered', 'Transient')));
    const tampered = { ...message, Message: message.Message?.replace('Transient', 'Permanent') as string };
    expect((await post(tampered)).statusCode).toBe(401);
  });

  test('an unsigned message (no Signature) is 401 and records nothing, as a missing login is', async () => {
    const { contactId, email } = await hooks.sent('ses-unsigned');
    const res = await post(notification(bounce(email, 'ses-unsigned')));
    expect([res.statusCode, res.json().error.code]).toEqual([401, 'unauthorized']);
    expect(await eventsOf(hooks.t.runtime, contactId, 'email.bounced')).toHaveLength(0);
  });

  test('a Signature that is no string is 400', async () => {
    const { email } = await hooks.sent('ses-numeric-signature');
    const message = { ...signed(notification(bounce(email, 'ses-numeric-signature'))), Signature: 12 };
    const res = await hooks.post('ses', JSON.stringify(message), { 'content-type': 'text/plain; charset=UTF-8' });
    expect(res.statusCode).toBe(400);
  });

  test('a certificate on any host but sns.<region>.amazonaws.com is never fetched: 401', async () => {
    const before = foreign.requests.length;
    for (const url of [
      `${FOREIGN}/SimpleNotificationService-1.pem`,
      'http://sns.us-west-2.amazonaws.com/SimpleNotificationService-1.pem',
      'https://sns.us-west-2.amazonaws.com:8443/SimpleNotificationService-1.pem',
      `${SNS_HOST}/SimpleNotificationService-1.txt`,
    ]) {
      const res = await post(signed(notification(bounce('a@example.com', 'x'), { SigningCertURL: url })));
      expect(res.statusCode).toBe(401);
    }
    expect(foreign.requests.length).toBe(before);
  });

  test('a topic not in snsTopicArns is 401', async () => {
    const other = notification(bounce('a@example.com', 'x'), { TopicArn: 'arn:aws:sns:us-west-2:999999999999:other' });
    expect((await post(signed(other))).statusCode).toBe(401);
  });

  test('a SubscribeURL off SNS is not visited', async () => {
    const before = foreign.requests.length;
    const confirmation = signed({
      Type: 'SubscriptionConfirmation',
      MessageId: '265545c9-2a5c-472c-8df2-7ff2be2b3b1b',
      Token: 'token',
      TopicArn: TOPIC,
      Message: 'confirm',
      SubscribeURL: `${FOREIGN}/?Action=ConfirmSubscription`,
      Timestamp: '2026-12-03T20:45:04.751Z',
      SignatureVersion: '1',
      SigningCertURL: CERT_URL,
    });
    expect((await post(confirmation)).statusCode).toBe(200);
    expect(foreign.requests.length).toBe(before);
  });

  test('JSON that is no SNS message is 400; a body that is not JSON is 400 invalid_json', async () => {
    const notSns = await hooks.post('ses', JSON.stringify({ notificationType: 'Bounce' }));
    expect(notSns.statusCode).toBe(400);
    expect(notSns.json().error.code).toBe('validation_failed');
    const notJson = await hooks.post('ses', 'Type=Notification');
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error.code).toBe('invalid_json');
  });
});

describe('the signing certificate is kept a while', () => {
  /** A certificate URL of its own, so what other tests fetched does not count. */
  const certificateAt = (name: string) => `/SimpleNotificationService-${name}.pem`;
  const fetchesOf = (certPath: string) => sns.requests.filter((r) => r.url === certPath).length;

  test('two signed events naming the same certificate fetch it once', async () => {
    const certPath = certificateAt('kept');
    const { contactId, email } = await hooks.sent('ses-kept');
    for (const kind of ['Transient', 'Permanent']) {
      const message = notification(bounce(email, 'ses-kept', kind), { SigningCertURL: `${SNS_HOST}${certPath}` });
      expect((await post(signed(message))).json()).toMatchObject({ recorded: 1 });
    }
    expect(fetchesOf(certPath)).toBe(1);
    expect(await eventsOf(hooks.t.runtime, contactId, 'email.bounced')).toHaveLength(2);
  });

  test('a failed fetch is not kept: the next event fetches the certificate again and verifies', async () => {
    const certPath = certificateAt('outage');
    const { contactId, email } = await hooks.sent('ses-outage');
    const message = () =>
      signed(notification(bounce(email, 'ses-outage'), { SigningCertURL: `${SNS_HOST}${certPath}` }));
    unavailable.add(certPath);
    expect((await post(message())).statusCode).toBe(401);
    unavailable.delete(certPath);
    expect((await post(message())).json()).toMatchObject({ recorded: 1 });
    expect(fetchesOf(certPath)).toBe(2);
    expect(await eventsOf(hooks.t.runtime, contactId, 'email.bounced')).toHaveLength(1);
  });
});

describe('an ses.account with its own snsCertificate', () => {
  /** An ses.account for `topic` whose snsCertificate is a new key's: its private key signs. */
  const pinnedAccount = async (topic: string, type: 'spki' | 'pkcs1' = 'spki') => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await hooks.credential('ses.account', {
      region: 'us-west-2',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'secret',
      snsTopicArns: [topic],
      snsCertificate: pair.publicKey.export({ type, format: 'pem' }).toString(),
    });
    return pair;
  };

  test('checks signatures with it and fetches nothing', async () => {
    const topic = 'arn:aws:sns:us-west-2:123456789012:pinned';
    const pair = await pinnedAccount(topic);
    const { contactId, email } = await hooks.sent('ses-pinned');
    const before = sns.requests.length;
    const message = notification(bounce(email, 'ses-pinned'), { TopicArn: topic });
    expect((await post(signed(message, pair.privateKey))).json()).toMatchObject({ recorded: 1 });
    expect(sns.requests.length).toBe(before);
    expect(await eventsOf(hooks.t.runtime, contactId, 'email.bounced')).toHaveLength(1);
    // SNS's own key does not verify for this credential (nor for the first, whose topics differ).
    expect((await post(signed(message))).statusCode).toBe(401);
  });

  test('a public key in PKCS#1 PEM (BEGIN RSA PUBLIC KEY) is taken and checks signatures', async () => {
    const topic = 'arn:aws:sns:us-west-2:123456789012:pinned-pkcs1';
    const pair = await pinnedAccount(topic, 'pkcs1');
    const { contactId, email } = await hooks.sent('ses-pinned-pkcs1');
    const message = notification(bounce(email, 'ses-pinned-pkcs1'), { TopicArn: topic });
    expect((await post(signed(message, pair.privateKey))).json()).toMatchObject({ recorded: 1 });
    expect(await eventsOf(hooks.t.runtime, contactId, 'email.bounced')).toHaveLength(1);
  });

  test('a SubscriptionConfirmation it verifies is confirmed at its SubscribeURL, wherever that is', async () => {
    const topic = 'arn:aws:sns:us-west-2:123456789012:pinned-elsewhere';
    const pair = await pinnedAccount(topic);
    const before = foreign.requests.length;
    const confirmation = signed(
      {
        Type: 'SubscriptionConfirmation',
        MessageId: '365545c9-2a5c-472c-8df2-7ff2be2b3b1b',
        Token: 'pinned-token',
        TopicArn: topic,
        Message: 'confirm',
        SubscribeURL: `${FOREIGN}/?Action=ConfirmSubscription&Token=pinned-token`,
        Timestamp: '2026-12-03T20:45:04.751Z',
        SignatureVersion: '1',
        SigningCertURL: CERT_URL,
      },
      pair.privateKey,
    );
    expect((await post(confirmation)).statusCode).toBe(200);
    expect(foreign.requests.slice(before).map((r) => r.url)).toEqual([
      '/?Action=ConfirmSubscription&Token=pinned-token',
    ]);
  });
});
