import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHttpClient } from '../../engine/http/client.js';
import { createMessagesService } from '../../engine/messages/service.js';
import { gatewayDeliver } from '../../nodes/sms/src/gateway-deliver.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { insertContact, stepScope } from './scope.js';

let gateway: Server;
let url: string;
const received: { auth: string | undefined; body: unknown }[] = [];
let t: TestRuntime;

beforeAll(async () => {
  gateway = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ auth: req.headers.authorization, body: JSON.parse(body) });
      if (req.url === '/busy') res.writeHead(429, { 'retry-after': '3' }).end();
      else res.writeHead(req.url === '/fail' ? 500 : 200, { 'content-type': 'application/json' }).end('{"id":"sms-1"}');
    });
  });
  await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
  t = await createTestRuntime({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true' });
});
afterAll(async () => {
  await t.close();
  await new Promise((r) => gateway.close(r));
});

describe('SMS through an HTTP gateway', () => {
  test('posts the message to the gateway and records it sent', async () => {
    const contactId = await insertContact(t.runtime, { phone: '+358401112223' });
    const scope = await stepScope(t.runtime, { contactId });
    const deliver = gatewayDeliver(createHttpClient(scope), { url: `${url}/send`, authHeader: 'Bearer gw' });
    const result = await createMessagesService(scope).send({
      channel: 'sms',
      category: 'marketing',
      text: 'Hello',
      deliver,
    });
    expect(result.status).toBe('sent');
    expect(received[received.length - 1]).toEqual({ auth: 'Bearer gw', body: { to: '+358401112223', body: 'Hello' } });
    const row = await t.runtime.db
      .selectFrom('messages')
      .select(['status', 'provider_id', 'to'])
      .where('id', '=', result.messageId)
      .executeTakeFirst();
    expect(row).toEqual({ status: 'sent', provider_id: 'sms-1', to: '+358401112223' });
  });

  test('a gateway 5xx fails the send as retryable', async () => {
    const contactId = await insertContact(t.runtime, { phone: '+358401112224' });
    const scope = await stepScope(t.runtime, { contactId });
    const deliver = gatewayDeliver(createHttpClient(scope), { url: `${url}/fail` });
    const send = createMessagesService(scope).send({ channel: 'sms', category: 'marketing', text: 'Hello', deliver });
    await expect(send).rejects.toMatchObject({ retryable: true });
  });

  test('a gateway 429 fails nothing: the message is held until its Retry-After', async () => {
    const contactId = await insertContact(t.runtime, { phone: '+358401112225' });
    const scope = await stepScope(t.runtime, { contactId });
    const deliver = gatewayDeliver(createHttpClient(scope), { url: `${url}/busy` });
    const before = Date.now();
    const result = await createMessagesService(scope).send({
      channel: 'sms',
      category: 'marketing',
      text: 'Hi',
      deliver,
    });
    expect(result).toMatchObject({ status: 'delayed', reason: 'send-rate' });
    expect((result as { until: Date }).until.getTime()).toBeGreaterThanOrEqual(before + 2900);
    const row = await t.runtime.db
      .selectFrom('messages')
      .select(['status'])
      .where('id', '=', result.messageId)
      .executeTakeFirst();
    expect(row).toEqual({ status: 'queued' });
  });
});
