import type { SendRequest } from '@waymark/sdk';
import { afterAll, beforeAll, expect } from 'vitest';
import { createMessagesService } from '../../../engine/messages/service.js';
import { insertContact, stepScope } from '../../channels/scope.js';
import { createTestApp, type TestApp, type TestAppOptions } from '../../support/runtime.js';

export const PUBLIC_URL = 'https://waymark.example.com';

/**
 * A test app for one provider's webhook tests (a file each, a database each), with the steps
 * every such test takes: store a credential, send a message the provider answered, post the
 * provider's request, read the contact back.
 */
export function providerHookApp(env: Record<string, string> = {}, options: TestAppOptions = {}) {
  let t: TestApp;
  let count = 0;
  beforeAll(async () => {
    t = await createTestApp({ PUBLIC_URL, ...env }, options);
  });
  afterAll(async () => {
    await t.close();
  });

  return {
    get t() {
      return t;
    },

    async credential(type: string, data: Record<string, unknown>) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/credentials',
        headers: t.auth,
        payload: { name: type, type, data },
      });
      expect(res.statusCode).toBe(201);
    },

    /** A contact sent one email (or SMS) that the provider answered with `providerId`. */
    async sent(providerId: string, channel: 'email' | 'sms' = 'email') {
      count++;
      const email = `person${count}@example.com`;
      const contactId = await insertContact(t.runtime, { email, phone: `+3584099${String(count).padStart(5, '0')}` });
      const request: SendRequest = {
        channel,
        category: 'marketing',
        from: 'News <news@example.com>',
        subject: 'Hi',
        html: '<p>Hi</p>',
        text: 'Hi',
        deliver: async () => ({ providerId }),
      };
      const scope = await stepScope(t.runtime, { contactId, nodeId: 'mail' });
      const result = await createMessagesService(scope).send(request);
      return { contactId, email, messageId: result.messageId };
    },

    /** An email to a bare address, no contact's (as a package's node may send one), that the provider answered with `providerId`. */
    async sentToAddress(providerId: string, to: string) {
      const result = await createMessagesService(await stepScope(t.runtime, { nodeId: 'mail' })).send({
        channel: 'email',
        category: 'transactional',
        from: 'News <news@example.com>',
        to,
        subject: 'Hi',
        html: '<p>Hi</p>',
        deliver: async () => ({ providerId }),
      });
      return { messageId: result.messageId };
    },

    post(provider: string, body: string | Buffer, headers: Record<string, string> = {}) {
      return t.app.inject({
        method: 'POST',
        url: `/hooks/providers/${provider}`,
        headers: { 'content-type': 'application/json', ...headers },
        payload: body,
      });
    },

    async contact(id: string) {
      const res = await t.app.inject({ method: 'GET', url: `/api/contacts/${id}`, headers: t.auth });
      return res.json();
    },

    /** Another email to the contact, marketing unless told: what the contact rules now decide. */
    async mailAgain(contactId: string, category: 'marketing' | 'transactional' = 'marketing') {
      return createMessagesService(await stepScope(t.runtime, { contactId })).send({
        channel: 'email',
        category,
        from: 'News <news@example.com>',
        subject: 'Again',
        html: '<p>Again</p>',
      });
    },
  };
}
