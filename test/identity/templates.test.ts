import { describe, expect, test } from 'vitest';
import { identityApp } from './support.js';

// identity.md "NODES.md — additions": "Templates see contact.computed, contact.attributeSources
// and contact.mergedFrom" ({{ contact.computed.lifetimeValue }}).
const { json, contact } = identityApp();

const preview = async (body: string, contactId: string) => {
  await json('PUT', '/api/templates/identity-fields', { name: 'Identity', format: 'html', subject: 'Hi', body });
  return (await json('POST', '/api/templates/identity-fields/preview', { contactId, category: 'transactional' })).text;
};

describe('a template renders the contact’s identity fields', () => {
  test('contact.computed holds each computed attribute’s value', async () => {
    await json('PUT', '/api/computed-attributes/orders', {
      definition: { kind: 'aggregate', fn: 'count', event: 'order' },
    });
    const id = await contact({ email: 'tpl-computed@example.com' });
    await json('POST', '/api/events', { contactId: id, name: 'order' });
    await json('POST', '/api/events', { contactId: id, name: 'order' });
    expect(await preview('orders={{ contact.computed.orders }}', id)).toContain('orders=2');
  });

  test('contact.attributeSources names the source of each attribute', async () => {
    const id = await contact({ email: 'tpl-sources@example.com', attributes: { plan: 'gold' }, source: 'shop' });
    expect(await preview('from={{ contact.attributeSources.plan.source }}', id)).toContain('from=shop');
  });

  test('contact.mergedFrom lists the contacts merged into it with their identity values', async () => {
    const id = await contact({ email: 'tpl-keep@example.com' });
    const gone = await contact({ email: 'tpl-gone@example.com' });
    await json('POST', `/api/contacts/${id}/merge`, { from: gone });
    const text = await preview('was={{ contact.mergedFrom[0].email }} id={{ contact.mergedFrom[0].id }}', id);
    expect(text).toContain(`was=tpl-gone@example.com id=${gone}`);
  });
});
