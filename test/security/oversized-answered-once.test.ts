import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { e, n, publish, testPackage } from '../engine/support.js';
import { loggedLines } from '../support/log-lines.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

// A 413 is answered once. Before, a webhook's oversized body was answered, and then answered
// again while its route's onSend hooks still ran: each such call logged a warning ("Reply was
// already sent") and a FST_ERR_REP_ALREADY_SENT error of status 500 an operator had to chase.
const SECRET = 'a-webhook-secret-of-some-length';
const log = loggedLines('warn');
let t: TestApp;
let journeyId: string;

beforeAll(async () => {
  t = await createTestApp({}, { logger: log.logger });
  t.runtime.registry.add(testPackage);
  const j = await publish(t.runtime.db, {
    nodes: [n('hook', 'core.webhook', { secret: SECRET }), n('a', 'tst.step')],
    edges: [e('hook', 'a')],
  });
  journeyId = j.journeyId;
});
afterAll(() => t?.close());

describe('a body over the limit', () => {
  test('a webhook call is answered 413 once, with nothing logged about a second answer', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/hooks/${journeyId}/hook`,
      headers: { 'content-type': 'application/json', 'x-waymark-secret': SECRET },
      payload: JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('payload_too_large');
    // The second answer, when there was one, was tried after the first had gone out.
    await new Promise((r) => setTimeout(r, 200));
    expect(log.lines.filter((line) => /already sent/.test(line.msg ?? ''))).toEqual([]);
  });
});
