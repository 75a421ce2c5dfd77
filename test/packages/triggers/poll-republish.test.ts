import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pollTriggers } from '../../../engine/runs/triggers/poll.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { installTriggers, republishTrigger, runsOf, triggerJourney } from './support.js';

// A republish with new params while the old params' poll was running made the trigger due at
// once, and another worker (or the next look) started the new poll beside the old one: two
// polls of one journey's trigger at once. The turn is the trigger's, whatever its version.

let t: TestApp;
let offsetMs = 0;
/** A source that answers nobody until `release()`: each request it holds, by path. */
let source: Server;
let sourceUrl: string;
const held: { path: string; res: ServerResponse }[] = [];

const FEED = `[defineNode({
  type: 'acme.feed-item', version: 1, kind: 'trigger', title: 'Feed item', description: 'A new item in a feed',
  category: 'Acme', outputs: ['out'], params: { type: 'object', properties: { url: { type: 'string' } }, required: ['url'] },
  async run() { return { next: 'out' }; },
  poll: {
    every: 'PT10M',
    async run(ctx) {
      const res = await ctx.http.request({ method: 'GET', url: ctx.params.url });
      return { items: res.body.items.map((id) => ({ key: id, payload: { id } })) };
    },
  },
})]`;

/** Answers each request held with one item, its id the path and `-1`. */
function release() {
  for (const { path, res } of held.splice(0)) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ items: [`${path}-1`] }));
  }
}

beforeAll(async () => {
  source = createServer((req, res) => {
    held.push({ path: new URL(req.url ?? '/', 'http://source').pathname.slice(1), res });
  });
  await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
  sourceUrl = `http://127.0.0.1:${(source.address() as AddressInfo).port}`;
  t = await createTestApp(
    { WAYMARK_HTTP_ALLOW_PRIVATE: 'true' },
    { clock: { now: () => new Date(Date.now() + offsetMs) } },
  );
  await installTriggers(t, 'acme-feed-triggers', FEED);
}, 60_000);
afterAll(async () => {
  release();
  await new Promise((resolve) => source?.close(resolve));
  await t?.close();
});

describe('a polling trigger republished while its poll runs', () => {
  test('the new params are not polled until the old poll has ended, then without waiting for its every', async () => {
    const journey = await triggerJourney(t, 'acme.feed-item', { url: `${sourceUrl}/old` });
    const first = pollTriggers(t.runtime);
    await expect.poll(() => held.map((h) => h.path), { timeout: 10_000 }).toEqual(['old']);

    await republishTrigger(t, journey, 'acme.feed-item', { url: `${sourceUrl}/new` });
    // Another worker looking a minute on finds nothing due: the trigger's turn is the old poll's.
    offsetMs += 60_000;
    expect(await pollTriggers(t.runtime)).toBe(0);
    expect(held.map((h) => h.path)).toEqual(['old']);

    // The old poll ends (what it found belongs to a version no longer published: no run), and
    // the new params are polled next, without waiting for its every.
    release();
    await expect.poll(() => held.map((h) => h.path), { timeout: 10_000 }).toEqual(['new']);
    release();
    expect(await first).toBe(1);
    expect((await runsOf(t, journey)).map((r) => r.trigger)).toEqual([{ id: 'new-1' }]);
  });
});
