import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { e, n } from '../../engine/support.js';
import { type EditorSession, hasChromium, openEditor } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

// A node's Sender picker offers the credentials that send its channel, whatever their type:
// email.send every email provider and SMTP server, sms.send the SMS ones, neither a DKIM key.
// The journey's Settings tab sets its flow control.

const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const CREDENTIALS = [
  { name: 'Office SMTP', type: 'email.smtp', data: { host: 'smtp.example.com' } },
  { name: 'Postmark', type: 'postmark.server', data: { serverToken: 'pm' } },
  {
    name: 'SES Ireland',
    type: 'ses.account',
    data: { region: 'eu-west-1', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 's' },
  },
  { name: 'Twilio', type: 'twilio.account', data: { accountSid: `AC${'a'.repeat(32)}`, authToken: 't', from: '+1' } },
  { name: 'Signing key', type: 'email.dkim', data: { domain: 'example.com' } },
];

const at = (node: ReturnType<typeof n>, x: number) => ({ ...node, position: { x, y: 100 } });
const graph = {
  nodes: [
    at(n('t', 'core.webhook', { secret: 'a-secret-of-16-chars' }), 0),
    at(n('mail', 'email.send', { from: 'News <news@example.com>', category: 'marketing' }), 300),
    at(n('text', 'sms.send', { body: 'Hi', category: 'marketing' }), 600),
  ],
  edges: [e('t', 'mail'), e('mail', 'text', 'sent')],
};

async function senderOptions(page: Page, nodeId: string) {
  await page.locator(`.svelte-flow__node[data-id="${nodeId}"] .wm-node`).click();
  const select = page.locator('.field[data-path="/credential"] select');
  await expect.poll(() => select.locator('option').count()).toBeGreaterThan(1);
  return (await select.locator('option').allTextContents()).map((text) => text.trim());
}

describe.skipIf(!hasChromium)('sending in the editor', () => {
  let s: EditorSession;
  let journeyId: string;

  beforeAll(async () => {
    s = await openEditor();
  }, 120_000);
  afterAll(async () => {
    await s?.close();
  });

  test('GET /api/credentials names the channel each sends (null for a key)', async () => {
    for (const payload of CREDENTIALS) {
      const res = await s.app.inject({ method: 'POST', url: '/api/credentials', headers: auth, payload });
      expect(res.statusCode).toBe(201);
    }
    const listed = await s.app.inject({ url: '/api/credentials', headers: auth });
    const channels = Object.fromEntries(
      listed.json().credentials.map((c: { name: string; channel: string | null }) => [c.name, c.channel]),
    );
    expect(channels).toEqual({
      'Office SMTP': 'email',
      Postmark: 'email',
      'SES Ireland': 'email',
      Twilio: 'sms',
      'Signing key': null,
    });
    const created = await s.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: auth,
      payload: { name: 'Senders', graph },
    });
    journeyId = created.json().id;
  });

  test('email.send offers the email senders, sms.send the SMS ones', async () => {
    const { page } = s;
    await page.goto(`${s.url}/journeys/${journeyId}?token=${TEST_TOKEN}`);
    expect(await senderOptions(page, 'mail')).toEqual([
      '— none (default) —',
      'Office SMTP (email.smtp)',
      'Postmark (postmark.server)',
      'SES Ireland (ses.account)',
    ]);
    expect(await senderOptions(page, 'text')).toEqual(['Choose a credential', 'Twilio (twilio.account)']);
  });

  test('the Settings tab sets the entry cap, the entry rate and the send rate of the draft', async () => {
    const { page } = s;
    await page.goto(`${s.url}/journeys/${journeyId}?token=${TEST_TOKEN}`);
    await page.getByRole('tab', { name: 'Settings' }).click();
    const fill = async (label: string, value: string) => {
      await page.getByLabel(label).fill(value);
      await page.getByLabel(label).press('Tab');
    };
    await fill('Entry cap', '100');
    await fill('Entry rate count', '5');
    await fill('Entry rate seconds', '2');
    await fill('Send rate count', '50');
    const draft = async () => (await s.app.inject({ url: `/api/journeys/${journeyId}`, headers: auth })).json().draft;
    await expect
      .poll(async () => (await draft()).settings, { timeout: 10_000 })
      .toMatchObject({
        maxEntries: 100,
        entryRate: { count: 5, perSeconds: 2 },
        sendRate: { count: 50, perSeconds: 1 },
      });
    await fill('Entry cap', '');
    await expect.poll(async () => (await draft()).settings.maxEntries, { timeout: 10_000 }).toBeNull();
  });
});
