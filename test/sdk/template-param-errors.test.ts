import { defineNode, NodeError } from '@waymark/sdk';
import { runNode } from '@waymark/sdk/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';

// A node with several template params: its failure must say which one did not render.
const post = defineNode({
  type: 'acme.post',
  version: 1,
  kind: 'action',
  title: 'Post',
  description: 'Posts a message.',
  category: 'Acme',
  params: {
    type: 'object',
    properties: {
      subject: { type: 'string', format: 'template' },
      parts: {
        type: 'array',
        items: {
          type: 'object',
          properties: { body: { type: 'string', format: 'template', contentMediaType: 'application/json' } },
        },
      },
    },
  },
  outputs: ['out'],
  async run() {
    return { next: 'out' };
  },
});

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
}, 60_000);
afterAll(async () => {
  await t?.close();
});

describe('a template param that does not render is named by its JSON pointer', () => {
  test('in runNode: a NodeError as the engine fails the step with, template.render at /parts/1/body', async () => {
    const error = await runNode(post, {
      params: {
        subject: 'Hi {{ contact.email }}',
        parts: [{ body: '{"a": 1}' }, { body: '{"a": {{ contact.email }} ' }],
      },
      contact: { email: 'ada@example.com' },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeError);
    expect(error).toMatchObject({
      stepCode: 'template.render',
      message: expect.stringMatching(
        /^a template in the params does not render: \/parts\/1\/body: the JSON template does not render valid JSON/,
      ),
    });
  });

  test("in a journey's step: the step's error names the param", async () => {
    const nodes = [
      { id: 'hook', type: 'core.webhook', version: 1, params: { secret: 'a-webhook-secret-of-some-length' } },
      {
        id: 'call',
        type: 'http.request',
        version: 1,
        params: { method: 'POST', url: 'http://127.0.0.1:9/x', body: '{"a": {{ contact.email }} ' },
      },
    ].map((n) => ({ ...n, position: { x: 0, y: 0 } }));
    const edges = [{ id: 'e1', source: 'hook', sourceHandle: 'out', target: 'call' }];
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: t.auth,
      payload: { name: 'Bad body', graph: { nodes, edges } },
    });
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/journeys/${created.json().id}/test`,
      headers: t.auth,
      payload: { contact: { email: 'ada@example.com' }, live: true },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().steps[1].error).toMatchObject({
      code: 'template.render',
      message: expect.stringMatching(
        /^a template in the params does not render: \/body: the JSON template does not render valid JSON/,
      ),
    });
  });
});
