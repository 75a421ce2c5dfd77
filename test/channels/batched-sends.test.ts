import { randomUUID } from 'node:crypto';
import type { SendRequest } from '@waymark/sdk';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { getMessage } from '../../engine/messages/queries.js';
import { saveContactRules } from '../../engine/messages/rules/contact-rules.js';
import { createMessagesService } from '../../engine/messages/service.js';
import { createStepBatch } from '../../engine/runs/step/step-batch.js';
import { defaultWorkspaceId } from '../../server/teams/accounts/users.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { insertContact, stepScope } from './scope.js';

let t: TestRuntime;
beforeAll(async () => {
  t = await createTestRuntime();
});
afterAll(() => t.close());
beforeEach(async () => saveContactRules(t.runtime.db, await defaultWorkspaceId(t.runtime.db), {}));

const marketingEmail = { channel: 'email', category: 'marketing', subject: 'Hi', html: '<p>Hi</p>' } as const;

/** The steps of one batch, each asking for its message in the same turn. */
async function sendTogether(asks: Array<{ contactId: string; idempotencyKey?: string; request?: SendRequest }>) {
  const batch = createStepBatch(t.runtime.db);
  const scopes = await Promise.all(
    asks.map(({ contactId, idempotencyKey }) =>
      stepScope(t.runtime, { contactId, batch, ...(idempotencyKey ? { idempotencyKey } : {}) }),
    ),
  );
  return Promise.allSettled(
    scopes.map((scope, i) => createMessagesService(scope).send(asks[i]?.request ?? marketingEmail)),
  );
}

const newAddress = () => `${randomUUID()}@example.com`;

describe('the sends of one batch', () => {
  test('are each decided by the contact rules, and a step that cannot send fails alone', async () => {
    const fine = await insertContact(t.runtime, { email: newAddress() });
    const unsubscribed = await insertContact(t.runtime, {
      email: newAddress(),
      consent: { email: { status: 'unsubscribed' }, sms: { status: 'unknown' } },
    });
    const bouncedAddress = newAddress();
    const bounced = await insertContact(t.runtime, { email: bouncedAddress });
    await sql`insert into email_suppressions (address) values (${bouncedAddress})`.execute(t.runtime.db);
    const noAddress = await insertContact(t.runtime, {});

    const [a, b, c, d] = await sendTogether([
      { contactId: fine },
      { contactId: unsubscribed },
      { contactId: bounced },
      { contactId: noAddress },
    ]);
    expect(a).toMatchObject({ status: 'fulfilled', value: { status: 'sent' } });
    expect(b).toMatchObject({ status: 'fulfilled', value: { status: 'suppressed', reason: 'unsubscribed' } });
    expect(c).toMatchObject({ status: 'fulfilled', value: { status: 'suppressed', reason: 'bounced' } });
    expect(d).toMatchObject({ status: 'rejected', reason: { stepCode: 'email.no-address' } });
  });

  test('count two marketing messages to one contact against its cap one after the other', async () => {
    await saveContactRules(t.runtime.db, await defaultWorkspaceId(t.runtime.db), {
      marketing: { maxMessages: 1, period: 'P1D' },
    });
    const contactId = await insertContact(t.runtime, { email: newAddress() });
    const answers = await sendTogether([{ contactId }, { contactId }]);
    const statuses = answers.map((a) => (a.status === 'fulfilled' ? `${a.value.status}:${a.value.reason ?? ''}` : a));
    expect(statuses.sort()).toEqual(['sent:', 'suppressed:frequency-cap']);
  });

  test('store each message once under its step, and a step asking again gets the stored answer', async () => {
    const contactId = await insertContact(t.runtime, { email: newAddress() });
    const keys = [randomUUID(), randomUUID()];
    const first = await sendTogether(keys.map((idempotencyKey) => ({ contactId, idempotencyKey })));
    const again = await sendTogether(keys.map((idempotencyKey) => ({ contactId, idempotencyKey })));
    expect(again).toEqual(first);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from messages where idempotency_key = any(${keys})`.execute(t.runtime.db);
    expect(rows[0]?.n).toBe(2);
  });

  test('store each message whole: its rendering, headers, tracked links and times read back as sent', async () => {
    const workspaceId = await defaultWorkspaceId(t.runtime.db);
    const addresses = [newAddress(), newAddress()];
    const contacts = [
      await insertContact(t.runtime, { email: addresses[0] }),
      await insertContact(t.runtime, { email: addresses[1] }),
    ];
    const request = {
      ...marketingEmail,
      subject: 'Spring',
      html: '<p><a href="https://shop.example/spring">Shop</a></p>',
    };
    const answers = await sendTogether(contacts.map((contactId) => ({ contactId, request })));
    for (const [i, answer] of answers.entries()) {
      expect(answer.status).toBe('fulfilled');
      const { messageId } = (answer as PromiseFulfilledResult<{ messageId: string }>).value;
      const message = await getMessage(t.runtime.db, workspaceId, messageId, t.runtime.config.publicUrl);
      expect(message).toMatchObject({
        status: 'sent',
        to: addresses[i],
        contactId: contacts[i],
        subject: 'Spring',
        category: 'marketing',
      });
      expect(message?.html).toContain('/t/c/');
      expect(Object.keys(message?.headers ?? {})).toContain('List-Unsubscribe');
      expect(new Date(message?.sentAt as string).getTime()).toBeGreaterThanOrEqual(
        new Date(message?.createdAt as string).getTime(),
      );
      const { rows } = await sql<{ links: Array<{ url: string }> }>`
        select links from messages where id = ${messageId}`.execute(t.runtime.db);
      expect(rows[0]?.links.map((link) => link.url)).toEqual(['https://shop.example/spring']);
    }
  });
});
