import { defineCredential, defineNode, definePackage, RetryableError } from '@waymark/sdk';
import { runNode } from '@waymark/sdk/testing';
import { describe, expect, test } from 'vitest';

// The examples of SDK.md and engine/sdk/README.md, as written: a package author copies them.

const shout = defineNode({
  type: 'acme.shout',
  version: 1,
  kind: 'action',
  title: 'Shout',
  description: 'Upper-cases a text.',
  category: 'Acme',
  params: {
    type: 'object',
    properties: { text: { type: 'string', format: 'template', title: 'Text' } },
    required: ['text'],
    additionalProperties: false,
  },
  outputs: ['out'],
  async run(ctx) {
    return { next: 'out', output: { shouted: ctx.params.text.toUpperCase() } };
  },
});

const notify = defineNode({
  type: 'acme.notify',
  version: 1,
  kind: 'action',
  title: 'Notify Acme',
  description: 'Posts the contact to Acme.',
  category: 'Acme',
  params: {
    type: 'object',
    properties: {
      account: { type: 'string', format: 'credential', credentialType: 'acme.api-key', title: 'Account' },
      message: { type: 'string', format: 'template', title: 'Message' },
      urgent: { type: 'boolean', default: false },
    },
    required: ['account', 'message'],
    additionalProperties: false,
  },
  outputs: ['sent', 'skipped'],
  credentials: ['acme.api-key'],
  async run(ctx) {
    if (!ctx.contact?.email) return { next: 'skipped' };
    const { key } = await ctx.credentials.get<{ key: string }>(ctx.params.account);
    const res = await ctx.http.request({
      method: 'POST',
      url: 'https://api.acme.example/notify',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: ctx.contact.email, text: ctx.params.message, urgent: ctx.params.urgent }),
    });
    if (res.status >= 500) throw new RetryableError(`Acme answered ${res.status}`);
    return { next: 'sent', output: { status: res.status } };
  },
});

const apiKey = defineCredential({
  type: 'acme.api-key',
  title: 'Acme API key',
  schema: { type: 'object', properties: { key: { type: 'string', minLength: 10 } }, required: ['key'] },
});

describe('SDK.md', () => {
  test('runNode(node, { params, contact?, trigger?, steps? }) runs one node and returns its result, templates rendered', async () => {
    const { result } = await runNode(shout, {
      params: { text: 'hi {{ contact.email }} {{ trigger.a }} {{ steps.n0.output.b }}' },
      contact: { email: 'ada@example.com' },
      trigger: { a: 'x' },
      steps: { n0: { output: { b: 'y' } } },
    });
    expect(result).toEqual({ next: 'out', output: { shouted: 'HI ADA@EXAMPLE.COM X Y' } });
  });

  test('definePackage takes a name, a version, its nodes and its credentials', () => {
    const pkg = definePackage({
      name: '@acme/waymark-nodes',
      version: '1.0.0',
      nodes: [shout, notify],
      credentials: [apiKey],
    });
    expect(pkg.name).toBe('@acme/waymark-nodes');
    expect(pkg.nodes.map((n) => n.type)).toEqual(['acme.shout', 'acme.notify']);
  });
});

describe('engine/sdk/README.md "Testing"', () => {
  test("runNode's example runs as written: a credential given by its data, ctx.http answered by a function", async () => {
    const { result, http } = await runNode(notify, {
      params: { account: 'cred-1', message: 'Hi {{ contact.email }}' },
      contact: { email: 'ada@example.com' },
      credentials: { 'cred-1': { key: 'k-0123456789' } },
      http: async () => ({ status: 200, headers: {}, body: {} }),
    });
    expect(result).toEqual({ next: 'sent', output: { status: 200 } });
    expect(http[0]?.headers?.authorization).toBe('Bearer k-0123456789');
  });
});
