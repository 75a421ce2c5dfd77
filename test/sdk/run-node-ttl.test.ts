import { defineNode } from '@waymark/sdk';
import { runNode } from '@waymark/sdk/testing';
import { describe, expect, test } from 'vitest';

/** A third party's node that tags with the lifespan its `ttl` param computes to. */
const expiring = defineNode({
  type: 'acme.expiring-tag',
  version: 1,
  kind: 'action',
  category: 'Contacts',
  title: 'Expiring tag',
  description: 'Tags the contact trial for its ttl param.',
  params: { type: 'object', properties: { ttl: { type: 'string' } }, required: ['ttl'] },
  outputs: ['out'],
  async run(ctx) {
    await ctx.contacts.addTag(ctx.contact?.id as string, 'trial', { ttl: ctx.params.ttl });
    return { next: 'out' };
  },
});

describe("runNode's ctx.contacts.addTag bounds a ttl as the engine's does", () => {
  test('a ttl past 1000 years fails the node, naming the ttl', async () => {
    await expect(runNode(expiring, { params: { ttl: 'P300000Y' } })).rejects.toThrow(
      'ctx.contacts.addTag: ttl "P300000Y" must be at most 1000 years',
    );
  });

  test('a ttl of exactly 1000 years tags the contact', async () => {
    const { contact } = await runNode(expiring, { params: { ttl: 'P365250D' } });
    expect(contact?.tags).toMatchObject([{ tag: 'trial', active: true }]);
  });
});
