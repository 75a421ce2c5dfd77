import { createHmac } from 'node:crypto';
import { defineNode, refuse } from '@waymark/sdk';
import { runPoll, runWebhook } from '@waymark/sdk/testing';
import { describe, expect, test } from 'vitest';

// engine/sdk/README.md "Triggers", as written: a package author copies them.
const orderCreated = defineNode({
  type: 'acme.order-created',
  version: 1,
  kind: 'trigger',
  title: 'Order created',
  description: 'A new order in an Acme shop',
  category: 'Acme',
  params: {
    type: 'object',
    properties: { shop: { type: 'string', format: 'credential', credentialType: 'acme.shop' } },
    required: ['shop'],
  },
  outputs: ['out'],
  credentials: ['acme.shop'],
  async run() {
    return { next: 'out' };
  },
  webhook: {
    async handle(request, ctx) {
      const { secret } = await ctx.credentials.get<{ secret: string }>(ctx.params.shop);
      const hmac = createHmac('sha256', secret).update(request.body).digest('base64');
      if (request.headers['x-acme-hmac-sha256'] !== hmac) refuse(401, 'the Acme signature does not match');
      const order = request.json as { id: number; email: string };
      return {
        starts: [
          { payload: { order }, contact: { email: order.email }, idempotencyKey: request.headers['x-acme-webhook-id'] },
        ],
      };
    },
  },
});

const newRow = defineNode({
  type: 'acme.new-row',
  version: 1,
  kind: 'trigger',
  title: 'New row',
  description: 'A new row in an Acme sheet',
  category: 'Acme',
  outputs: ['out'],
  credentials: ['acme.sheets'],
  params: {
    type: 'object',
    properties: {
      sheet: { type: 'string' },
      account: { type: 'string', format: 'credential', credentialType: 'acme.sheets' },
    },
    required: ['sheet', 'account'],
  },
  async run() {
    return { next: 'out' };
  },
  poll: {
    every: 'PT10M', // or (params) => params.interval
    async run(ctx) {
      const { token } = await ctx.credentials.get<{ token: string }>(ctx.params.account);
      const res = await ctx.http.request({
        method: 'GET',
        url: `https://sheets.acme.example/${ctx.params.sheet}/rows?after=${ctx.state ?? 0}`,
        headers: { authorization: `Bearer ${token}` },
      });
      const rows = res.body as { id: string; row: number; email: string }[];
      return {
        items: rows.map((r) => ({ key: r.id, payload: { row: r }, contact: { email: r.email } })),
        state: rows.at(-1)?.row ?? ctx.state,
      };
    },
  },
});

const body = JSON.stringify({ id: 42, email: 'ada@example.com' });
const signature = createHmac('sha256', 'shop-secret').update(body).digest('base64');

describe("runWebhook calls a webhook trigger's handle as a provider's call reaches it", () => {
  test('a signed call answers its starts, the credential read by id and the headers lower-cased', async () => {
    const { result } = await runWebhook(orderCreated, {
      params: { shop: 'cred-1' },
      credentials: { 'cred-1': { secret: 'shop-secret' } },
      request: { headers: { 'X-Acme-Hmac-Sha256': signature, 'X-Acme-Webhook-Id': 'w-1' }, body },
    });
    expect(result.starts).toEqual([
      {
        payload: { order: { id: 42, email: 'ada@example.com' } },
        contact: { email: 'ada@example.com' },
        idempotencyKey: 'w-1',
      },
    ]);
  });

  test('a call whose signature does not match is refused, 401 with its message', async () => {
    const refused = runWebhook(orderCreated, {
      params: { shop: 'cred-1' },
      credentials: { 'cred-1': { secret: 'shop-secret' } },
      request: { headers: { 'x-acme-hmac-sha256': 'forged' }, body },
    });
    await expect(refused).rejects.toMatchObject({ status: 401, message: 'the Acme signature does not match' });
  });
});

describe("runPoll calls a polling trigger's run once, as the engine does when it is due", () => {
  test('it is given the last state and answers its items and the state to keep', async () => {
    const { result, http } = await runPoll(newRow, {
      params: { sheet: 's1', account: 'cred-1' },
      credentials: { 'cred-1': { token: 'sheet-token' } },
      state: 3,
      http: async () => ({ status: 200, headers: {}, body: [{ id: 'r4', row: 4, email: 'ada@example.com' }] }),
    });
    expect(http[0]).toMatchObject({
      url: 'https://sheets.acme.example/s1/rows?after=3',
      headers: { authorization: 'Bearer sheet-token' },
    });
    expect(result).toEqual({
      items: [
        {
          key: 'r4',
          payload: { row: { id: 'r4', row: 4, email: 'ada@example.com' } },
          contact: { email: 'ada@example.com' },
        },
      ],
      state: 4,
    });
  });

  test('params that break the schema fail as in runNode, before the poll runs', async () => {
    await expect(runPoll(newRow, { params: { sheet: 's1' } })).rejects.toMatchObject({
      code: 'validation_failed',
      message: 'params are invalid: /account is required',
      details: [{ path: '/account', message: 'is required' }],
    });
  });
});
