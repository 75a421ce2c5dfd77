import { runNode } from '@waymark/sdk/testing';
import { describe, expect, test } from 'vitest';
import gateway from './gateway-credential.js';
import send from './send.js';

const contact = { phone: '+358401234567', attributes: { firstName: 'Ada' } };
const credentials = {
  gw: {
    type: 'sms.http-gateway',
    data: { url: 'https://sms.example.com/send', authHeader: 'Bearer k' },
    sender: gateway.sender,
  },
};

describe('sms.send', () => {
  test('posts the rendered message to the gateway and takes sent', async () => {
    const { result, http, messages } = await runNode(send, {
      params: { credential: 'gw', body: 'Hi {{ contact.attributes.firstName }}', category: 'marketing' },
      contact,
      credentials,
      deliver: true,
      http: () => ({ status: 200, headers: {}, body: { id: 'm1' } }),
    });
    expect(messages[0]).toMatchObject({ channel: 'sms', to: '+358401234567', text: 'Hi Ada' });
    expect(http[0]).toMatchObject({ method: 'POST', url: 'https://sms.example.com/send' });
    expect(http[0]?.headers.authorization).toBe('Bearer k');
    expect(JSON.parse(http[0]?.body ?? '')).toEqual({ to: '+358401234567', body: 'Hi Ada' });
    expect(result).toMatchObject({ next: 'sent' });
  });

  test('tells the gate which subscription category the message belongs to', async () => {
    const { messages } = await runNode(send, {
      params: { credential: 'gw', body: 'Deals', category: 'marketing', subscription: 'offers' },
      contact,
      credentials,
    });
    expect(messages[0]?.subscription).toBe('offers');
  });

  test('fills the gateway’s body template', async () => {
    const { http } = await runNode(send, {
      params: { credential: 'gw', body: 'Say "hi"', category: 'transactional' },
      contact,
      credentials: {
        gw: {
          type: 'sms.http-gateway',
          data: { url: 'https://x.test/', bodyTemplate: '{"msisdn":"{{to}}","text":"{{ body }}"}' },
          sender: gateway.sender,
        },
      },
      deliver: true,
      http: () => ({ status: 202, headers: {}, body: '' }),
    });
    expect(JSON.parse(http[0]?.body ?? '')).toEqual({ msisdn: '+358401234567', text: 'Say "hi"' });
  });

  test('a gateway 5xx is retried', async () => {
    const run = runNode(send, {
      params: { credential: 'gw', body: 'x', category: 'marketing' },
      contact,
      credentials,
      deliver: true,
      http: () => ({ status: 503, headers: {}, body: '' }),
    });
    await expect(run).rejects.toMatchObject({ retryable: true });
  });

  test('a gateway 503 asks for the delay its Retry-After names', async () => {
    const run = runNode(send, {
      params: { credential: 'gw', body: 'x', category: 'marketing' },
      contact,
      credentials,
      deliver: true,
      http: () => ({ status: 503, headers: { 'retry-after': '2' }, body: '' }),
    });
    await expect(run).rejects.toMatchObject({ retryable: true, stepCode: 'sms.unavailable', retryAfterMs: 2000 });
  });

  test('a gateway 429 asks to hold the message until its Retry-After, failing nothing', async () => {
    const run = runNode(send, {
      params: { credential: 'gw', body: 'x', category: 'marketing' },
      contact,
      credentials,
      deliver: true,
      http: () => ({ status: 429, headers: { 'retry-after': '2' }, body: '' }),
    });
    await expect(run).rejects.toMatchObject({ stepCode: 'provider.rate-limited', retryAfterMs: 2000 });
  });

  test('fails for a contact without a phone', async () => {
    const run = runNode(send, { params: { credential: 'gw', body: 'x', category: 'marketing' }, credentials });
    await expect(run).rejects.toThrow(/no phone/);
  });
});
