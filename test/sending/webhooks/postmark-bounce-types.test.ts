import { beforeAll, expect, test } from 'vitest';
import { eventsOf } from '../../channels/scope.js';
import { providerHookApp } from './support.js';

// contracts/sending.md, Postmark's `email.bounced`: `RecordType: "Bounce"`: hard for `Type`
// `HardBounce`, `BadEmailAddress`, `ManuallyDeactivated` or `Inactive: true`; soft for
// `SoftBounce`, `Transient`, `DnsError`, `Blocked`, `DMARCPolicy`, `Unknown`; other types
// ignored (`status`: `Type`).

const hooks = providerHookApp();
const login = { authorization: `Basic ${Buffer.from('hooks:s3cret-pass').toString('base64')}` };
let ids = 9000;

beforeAll(async () => {
  await hooks.credential('postmark.server', {
    serverToken: 'pm',
    webhookUsername: 'hooks',
    webhookPassword: 's3cret-pass',
  });
});

/** Postmark's Bounce record (postmarkapp.com/developer/webhooks/bounce-webhook) of one `Type`. */
async function bounced(type: string, inactive: boolean) {
  const sent = await hooks.sent(`pm-type-${type}-${inactive}`);
  const record = {
    RecordType: 'Bounce',
    MessageStream: 'outbound',
    ID: ++ids,
    Type: type,
    MessageID: `pm-type-${type}-${inactive}`,
    Metadata: { waymark_message: sent.messageId },
    Email: sent.email,
    Inactive: inactive,
    CanActivate: !inactive,
    BouncedAt: '2026-12-01T10:00:00Z',
  };
  const res = await hooks.post('postmark', JSON.stringify(record), login);
  expect(res.statusCode).toBe(200);
  const [event] = await eventsOf(hooks.t.runtime, sent.contactId, 'email.bounced');
  return { counts: res.json(), properties: event?.properties };
}

test.each(['HardBounce', 'BadEmailAddress', 'ManuallyDeactivated'])('a %s bounce is hard', async (type) => {
  expect((await bounced(type, false)).properties).toMatchObject({ kind: 'hard', status: type, provider: 'postmark' });
});

test.each(['SoftBounce', 'Transient', 'DnsError', 'Blocked', 'DMARCPolicy', 'Unknown'])(
  'a %s bounce is soft',
  async (type) => {
    expect((await bounced(type, false)).properties).toMatchObject({ kind: 'soft', status: type });
  },
);

test('a soft type that left the address Inactive is hard', async () => {
  expect((await bounced('SoftBounce', true)).properties).toMatchObject({ kind: 'hard', status: 'SoftBounce' });
});

test.each(['AutoResponder', 'SpamNotification', 'OpenRelayTest'])('a %s record is ignored', async (type) => {
  const { counts, properties } = await bounced(type, false);
  expect(counts).toEqual({ recorded: 0, duplicates: 0, unmatched: 0, ignored: 1 });
  expect(properties).toBeUndefined();
});
