import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { e, eventually, n, publish, runEnds } from '../engine/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

// NODES.md "The filter language": in the filters of core.event (and core.wait-for-event) `attr`
// names a key of the event's properties; a tag or list clause still means the contact's own tag
// or list, as it does inside an event clause's `where` in a segment or a condition.
let t: TestApp;
let worker: WorkerHandle;

beforeAll(async () => {
  t = await createTestApp();
  worker = await startWorker(t.runtime, { pollInterval: 100 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

async function contact(email: string, tag?: string, list?: string): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/contacts', headers: t.auth, payload: { email } });
  const id = res.json().id as string;
  if (tag) await t.app.inject({ method: 'POST', url: `/api/contacts/${id}/tags`, headers: t.auth, payload: { tag } });
  if (list)
    await t.app.inject({ method: 'POST', url: `/api/contacts/${id}/lists`, headers: t.auth, payload: { list } });
  return id;
}

async function emit(contactId: string, name: string, properties: object): Promise<void> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/events',
    headers: t.auth,
    payload: { contactId, name, properties },
  });
  expect(res.statusCode, res.body).toBe(202);
}

async function startedFor(filter: object, event: string, contacts: string[]): Promise<string[]> {
  const { journeyId } = await publish(t.runtime.db, {
    nodes: [n('t', 'core.event', { event, filter }), n('x', 'core.exit', {})],
    edges: [e('t', 'x')],
  });
  for (const id of contacts) await emit(id, event, { plan: 'pro' });
  const runs = await t.runtime.db.selectFrom('runs').select('contact_id').where('journey_id', '=', journeyId).execute();
  return runs.map((r) => r.contact_id as string);
}

describe('a core.event filter', () => {
  test('with a tag clause starts a run for a contact that has the tag only', async () => {
    const vip = await contact('vip@example.com', 'vip');
    const plain = await contact('plain@example.com');
    const filter = {
      all: [
        { attr: 'plan', op: 'eq', value: 'pro' },
        { tag: 'vip', op: 'has' },
      ],
    };
    expect(await startedFor(filter, 'upgraded', [vip, plain])).toEqual([vip]);
  });

  test('with hasNot starts a run for a contact without the tag only', async () => {
    const vip = await contact('vip2@example.com', 'vip');
    const plain = await contact('plain2@example.com');
    expect(await startedFor({ tag: 'vip', op: 'hasNot' }, 'renewed', [vip, plain])).toEqual([plain]);
  });

  test('with a list clause starts a run for a member of the list only', async () => {
    const member = await contact('member@example.com', undefined, 'newsletter');
    const other = await contact('other@example.com');
    expect(await startedFor({ list: 'newsletter', op: 'member' }, 'visited', [member, other])).toEqual([member]);
  });
});

describe('a core.wait-for-event filter', () => {
  test('with a tag clause resumes the wait of a contact that has the tag, not of one without', async () => {
    const { journeyId } = await publish(t.runtime.db, {
      nodes: [
        n('t', 'core.event', { event: 'entered' }),
        n('w', 'core.wait-for-event', { event: 'clicked', filter: { tag: 'vip', op: 'has' }, timeout: 'P1D' }),
        n('x', 'core.exit', { goal: 'clicked' }),
      ],
      edges: [e('t', 'w'), e('w', 'x', 'event')],
    });
    const vip = await contact('vip3@example.com', 'vip');
    const plain = await contact('plain3@example.com');
    const runOf = async (id: string) => {
      await emit(id, 'entered', {});
      const run = await eventually(() =>
        t.runtime.db
          .selectFrom('runs')
          .select('id')
          .where('journey_id', '=', journeyId)
          .where('contact_id', '=', id)
          .executeTakeFirst(),
      );
      await runEnds(t.runtime.db, run.id, ['waiting']);
      await emit(id, 'clicked', {});
      return run.id;
    };
    const [vipRun, plainRun] = [await runOf(vip), await runOf(plain)];
    expect((await runEnds(t.runtime.db, vipRun)).run).toMatchObject({ status: 'completed', outcome: 'clicked' });
    const plainNow = await t.runtime.db
      .selectFrom('runs')
      .select('status')
      .where('id', '=', plainRun)
      .executeTakeFirst();
    expect(plainNow?.status).toBe('waiting');
  });
});

describe("a computed attribute's where", () => {
  test('with a tag clause counts the events of contacts that have the tag, and events keep being stored', async () => {
    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/computed-attributes/vipPurchases',
      headers: t.auth,
      payload: { definition: { kind: 'aggregate', fn: 'count', event: 'purchased', where: { tag: 'vip', op: 'has' } } },
    });
    expect(put.statusCode, put.body).toBe(201);
    const vip = await contact('vip4@example.com', 'vip');
    const plain = await contact('plain4@example.com');
    await emit(vip, 'purchased', {});
    await emit(plain, 'purchased', {});
    const computed = async (id: string) =>
      (await t.app.inject({ method: 'GET', url: `/api/contacts/${id}`, headers: t.auth })).json().computed;
    expect(await computed(vip)).toMatchObject({ vipPurchases: 1 });
    expect(await computed(plain)).toMatchObject({ vipPurchases: 0 });
  });
});
