import { runNode } from '@waymark/sdk/testing';
import { describe, expect, test } from 'vitest';
import createLead from './create-lead.js';
import list from './list.js';
import tag from './tag.js';
import updateContact from './update-contact.js';

describe('crm.tag', () => {
  test('adds a tag with a lifespan', async () => {
    const now = new Date('2026-01-10T10:00:00Z');
    const { contact } = await runNode(tag, { params: { action: 'add', tag: 'vip', ttl: 'P1D' }, now });
    expect(contact?.tags).toMatchObject([
      { tag: 'vip', count: 1, active: true, expiresAt: '2026-01-11T10:00:00.000Z' },
    ]);
  });

  test('removes a tag, keeping its count', async () => {
    const at = '2026-01-01T00:00:00Z';
    const tags = [{ tag: 'vip', count: 2, firstAddedAt: at, lastAddedAt: at, expiresAt: null, active: true }];
    const { contact } = await runNode(tag, { params: { action: 'remove', tag: 'vip' }, contact: { tags } });
    expect(contact?.tags).toMatchObject([{ tag: 'vip', count: 2, active: false }]);
  });

  test('fails in an anonymous run', async () => {
    await expect(runNode(tag, { params: { action: 'add', tag: 'vip' }, contact: null })).rejects.toThrow(/contact/);
  });
});

describe('crm.list', () => {
  test('adds the contact to a list', async () => {
    const { contact } = await runNode(list, { params: { action: 'add', list: 'newsletter' } });
    expect(contact?.lists.map((l) => l.list)).toEqual(['newsletter']);
  });
});

describe('crm.update-contact', () => {
  test('sets attributes from templates', async () => {
    const { contact } = await runNode(updateContact, {
      params: { attributes: { plan: '{{ trigger.plan }}' } },
      trigger: { plan: 'pro' },
      contact: { attributes: { country: 'FI' } },
    });
    expect(contact?.attributes).toEqual({ country: 'FI', plan: 'pro' });
  });

  test('writes under the source it names', async () => {
    const { contact } = await runNode(updateContact, { params: { attributes: { plan: 'pro' }, source: 'crm' } });
    expect(contact?.attributeSources?.plan?.source).toBe('crm');
  });

  test('without a source, writes under the run’s', async () => {
    const { contact } = await runNode(updateContact, { params: { attributes: { plan: 'pro' } } });
    expect(contact?.attributeSources?.plan?.source).toBe('journey');
  });
});

describe('crm.create-lead', () => {
  const params = {
    title: 'Demo for {{ contact.email }}',
    owners: ['a@sales.test', 'b@sales.test'],
    assign: 'round-robin',
  };

  test('creates a lead for the contact', async () => {
    const { leads, result, messages } = await runNode(createLead, { params, contact: { email: 'ada@example.com' } });
    expect(leads).toMatchObject([{ title: 'Demo for ada@example.com', owner: 'a@sales.test', status: 'open' }]);
    expect(result).toMatchObject({ next: 'out', output: { owner: 'a@sales.test' } });
    expect(messages).toEqual([]);
  });

  test('with notify, emails the owner alone one transactional mail naming the lead and contact', async () => {
    const { messages } = await runNode(createLead, {
      params: { ...params, notify: true },
      contact: { email: 'ada@example.com' },
    });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      channel: 'email',
      category: 'transactional',
      to: 'a@sales.test',
      replyTo: 'ada@example.com', // the owner's answer goes to the lead
    });
    expect(messages[0]?.text).toContain('Demo for ada@example.com');
    expect(messages[0]?.text).toContain('ada@example.com');
  });

  test('refuses an owner that is not an email address', async () => {
    await expect(runNode(createLead, { params: { ...params, owners: ['bob'] } })).rejects.toThrow(/owners/);
  });
});
