import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pollTriggers } from '../../../engine/runs/triggers/poll.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { runsOf, triggerJourney } from './support.js';

// SDK README "Triggers": a package loaded in the server's process (built-in or
// WAYMARK_NODE_PACKAGES) has its trigger functions called in process, as its steps run there.

let t: TestApp;
const memory = globalThis as { intrigItems?: string[] };

beforeAll(async () => {
  t = await createTestApp({ WAYMARK_NODE_PACKAGES: './test/fixtures/packages/triggers/index.ts' });
});
afterAll(async () => {
  await t?.close();
});

async function tokenCredential(): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/credentials',
    headers: t.auth,
    payload: { name: 'token', type: 'intrig.token', data: { token: 'the-token' } },
  });
  return res.json().id as string;
}

describe("an in-process package's triggers", () => {
  test('a webhook trigger starts one run per start, answers its own response, and refuses a wrong token', async () => {
    const journey = await triggerJourney(t, 'intrig.signup', { account: await tokenCredential() });
    const call = (token: string) =>
      t.app.inject({
        method: 'POST',
        url: `/hooks/${journey}/trigger`,
        headers: { 'content-type': 'application/json', 'x-token': token },
        payload: { people: [{ email: 'ann@example.com' }, { email: 'bob@example.com' }] },
      });
    const refused = await call('wrong');
    expect([refused.statusCode, refused.json()]).toEqual([
      403,
      { error: { code: 'forbidden', message: 'the token does not match' } },
    ]);
    const res = await call('the-token');
    expect([res.statusCode, res.json()]).toEqual([200, { thanks: 2 }]);
    expect((await runsOf(t, journey)).map((r) => r.email).sort()).toEqual(['ann@example.com', 'bob@example.com']);
  });

  test('a polling trigger starts a run per new key and is given its state back', async () => {
    memory.intrigItems = ['a'];
    const journey = await triggerJourney(t, 'intrig.items', {});
    await pollTriggers(t.runtime);
    await t.runtime.db
      .updateTable('trigger_state')
      .set({ next_at: new Date(0) })
      .where('journey_id', '=', journey)
      .execute();
    memory.intrigItems = ['a', 'b'];
    await pollTriggers(t.runtime);
    const runs = await runsOf(t, journey);
    expect(runs.map((r) => r.trigger)).toEqual([
      { key: 'a', state: null },
      { key: 'b', state: 1 },
    ]);
  });
});
