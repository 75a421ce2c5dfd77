import { defineNode } from '@waymark/sdk';
import { runNode } from '@waymark/sdk/testing';
import { describe, expect, test } from 'vitest';

/** A third party's node that tags with whatever its `name` param computes to. */
const tagger = defineNode({
  type: 'acme.tagger',
  version: 1,
  kind: 'action',
  category: 'Contacts',
  title: 'Tagger',
  description: 'Tags the contact with its name param, lists it in its list param.',
  params: { type: 'object', properties: { name: { type: 'string' }, list: { type: 'string' } } },
  outputs: ['out'],
  async run(ctx) {
    const id = ctx.contact?.id as string;
    if (ctx.params.name !== undefined) await ctx.contacts.addTag(id, ctx.params.name);
    if (ctx.params.list !== undefined) await ctx.contacts.addToList(id, ctx.params.list);
    return { next: 'out' };
  },
});

/** A third party's node that records an event named by its `name` param. */
const recorder = defineNode({
  type: 'acme.recorder',
  version: 1,
  kind: 'action',
  category: 'Contacts',
  title: 'Recorder',
  description: 'Records an event named by its name param.',
  params: { type: 'object', properties: { name: { type: 'string' } } },
  outputs: ['out'],
  async run(ctx) {
    await ctx.contacts.recordEvent(ctx.contact?.id as string, ctx.params.name ?? '');
    return { next: 'out' };
  },
});

describe("runNode's ctx.contacts refuses what the engine's refuses", () => {
  test('a blank tag fails the node, naming the call and the tag', async () => {
    await expect(runNode(tagger, { params: { name: ' \t ' } })).rejects.toThrow(
      'ctx.contacts.addTag: tag " \\t " must not be blank',
    );
  });

  test('an empty list name fails the node', async () => {
    await expect(runNode(tagger, { params: { list: '' } })).rejects.toThrow(
      'ctx.contacts.addToList: list "" must not be blank',
    );
  });

  test('a list name of only whitespace fails the node', async () => {
    await expect(runNode(tagger, { params: { list: ' \t' } })).rejects.toThrow(
      'ctx.contacts.addToList: list " \\t" must not be blank',
    );
  });

  test('a tag over 255 characters fails the node, naming the limit', async () => {
    await expect(runNode(tagger, { params: { name: 't'.repeat(256) } })).rejects.toThrow(
      `ctx.contacts.addTag: tag "${'t'.repeat(40)}…" must be at most 255 characters`,
    );
  });

  test('a blank event name fails the node, naming the call and the name', async () => {
    await expect(runNode(recorder, { params: { name: ' \t' } })).rejects.toThrow(
      'ctx.contacts.recordEvent: event name " \\t" must not be blank',
    );
  });

  test('a tag with spaces around a name is kept as given', async () => {
    const { contact } = await runNode(tagger, { params: { name: ' vip ' } });
    expect(contact?.tags.map((t) => t.tag)).toEqual([' vip ']);
  });
});
