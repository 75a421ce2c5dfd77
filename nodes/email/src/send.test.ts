import { runNode } from '@waymark/sdk/testing';
import { describe, expect, test } from 'vitest';
import send from './send.js';

const params = {
  from: 'News <news@example.com>',
  subject: 'Hi {{ contact.attributes.firstName }}',
  html: '<p>Hello {{ contact.attributes.firstName }}</p><a data-waymark-key="a" href="https://example.com/a">A</a>',
  category: 'marketing',
  links: [{ key: 'a', addTags: ['clicked-a'] }],
};
const contact = { email: 'ada@example.com', attributes: { firstName: 'Ada' } };

describe('email.send', () => {
  test('sends the rendered email to the contact and takes sent', async () => {
    const { result, messages } = await runNode(send, { params, contact });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      channel: 'email',
      to: 'ada@example.com',
      subject: 'Hi Ada',
      category: 'marketing',
    });
    expect(messages[0]?.html).toContain('Hello Ada');
    expect(messages[0]?.links).toEqual([{ key: 'a', addTags: ['clicked-a'] }]);
    expect(result).toMatchObject({ next: 'sent', output: { status: 'sent' } });
  });

  test('takes suppressed with the reason when the gate refuses', async () => {
    const { result } = await runNode(send, {
      params,
      contact,
      gate: () => ({ status: 'suppressed', reason: 'unsubscribed' }),
    });
    expect(result).toMatchObject({ next: 'suppressed', output: { reason: 'unsubscribed' } });
  });

  test('waits until quiet hours end when the gate delays', async () => {
    const until = new Date('2026-01-11T08:00:00Z');
    const { result } = await runNode(send, {
      params,
      contact,
      gate: () => ({ status: 'delayed', reason: 'quiet-hours', until }),
    });
    expect(result).toEqual({ wait: { until } });
  });

  test('is held, its run still running, while a send rate keeps the message queued', async () => {
    const until = new Date('2026-01-11T08:00:01Z');
    const { result } = await runNode(send, {
      params,
      contact,
      gate: () => ({ status: 'delayed', reason: 'send-rate', until }),
    });
    expect(result).toEqual({ wait: { until, held: true } });
  });

  test('fails for a contact without an email address', async () => {
    await expect(runNode(send, { params, contact: { email: null } })).rejects.toThrow(/no email address/);
  });

  test('tells the gate which subscription category the email belongs to', async () => {
    const { messages } = await runNode(send, { params: { ...params, subscription: 'newsletter' }, contact });
    expect(messages[0]?.subscription).toBe('newsletter');
  });

  test('refuses a subscription category that is not a plain name', async () => {
    await expect(runNode(send, { params: { ...params, subscription: 'news letter' }, contact })).rejects.toThrow(
      /subscription/,
    );
  });

  test('refuses a category other than marketing or transactional', async () => {
    await expect(runNode(send, { params: { ...params, category: 'spam' }, contact })).rejects.toThrow(/category/);
  });
});
