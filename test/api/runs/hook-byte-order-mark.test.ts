import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { e, n, publish, testPackage } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

/**
 * API.md "Webhook triggers": a body that is not JSON is 400. A JSON body that starts with a
 * UTF-8 byte order mark (EF BB BF) is JSON all the same (RFC 8259 §8.1 lets a parser ignore
 * it), and senders on Windows and .NET write one: it was refused as 400 `invalid_json`.
 */

let t: TestApp;
const SECRET = 'a-webhook-secret-of-some-length';
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

beforeAll(async () => {
  t = await createTestApp();
  t.runtime.registry.add(testPackage);
});
afterAll(() => t?.close());

const hookJourney = () =>
  publish(t.runtime.db, {
    nodes: [n('hook', 'core.webhook', { secret: SECRET }), n('a', 'tst.step')],
    edges: [e('hook', 'a')],
  });

const post = (journeyId: string, payload: Buffer, headers: Record<string, string>) =>
  t.app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/hook`,
    headers: { 'content-type': 'application/json', ...headers },
    payload,
  });

describe('POST /hooks/:journeyId/:nodeId with a byte order mark before the JSON', () => {
  test('starts a run with the JSON after it as the trigger', async () => {
    const j = await hookJourney();
    const res = await post(j.journeyId, Buffer.concat([BOM, Buffer.from('{"name":"Ada"}')]), {
      'x-waymark-secret': SECRET,
    });
    expect(res.statusCode).toBe(202);
    const runs = await t.runtime.db.selectFrom('runs').select(['id', 'trigger']).execute();
    expect(runs.find((run) => run.id === res.json().runId)?.trigger).toEqual({ name: 'Ada' });
  });

  test('its signature is still of the raw body, the mark included', async () => {
    const j = await hookJourney();
    const body = Buffer.concat([BOM, Buffer.from('{"name":"Signed"}')]);
    const of = (bytes: Buffer) => `sha256=${createHmac('sha256', SECRET).update(bytes).digest('hex')}`;
    expect((await post(j.journeyId, body, { 'x-waymark-signature': of(body) })).statusCode).toBe(202);
    const withoutMark = of(body.subarray(BOM.length));
    expect((await post(j.journeyId, body, { 'x-waymark-signature': withoutMark })).statusCode).toBe(401);
  });

  test('a mark before text that is not JSON is still 400 invalid_json', async () => {
    const j = await hookJourney();
    const res = await post(j.journeyId, Buffer.concat([BOM, Buffer.from('{nope')]), { 'x-waymark-secret': SECRET });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_json');
  });
});
