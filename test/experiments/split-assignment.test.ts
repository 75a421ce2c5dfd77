import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { pickVariant } from '../../nodes/core/src/split.js';
import type { TestApp } from '../support/runtime.js';
import { assignments, e, experimentsApp, makeContacts, n, publish, runThrough, splitGraph } from './support.js';

// NODES.md core.split: a contact's variant comes from a stable hash of (contact, node id), so
// two splits of one journey assign independently, and a contact once assigned keeps its variant.

/** `count` UUIDs (v4 layout) from a fixed seed: the same ids on every run, so every figure here is fixed. */
function fixedUuids(count: number, seed = 20_260_301): string[] {
  let s = seed >>> 0;
  const next = () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return (x ^ (x >>> 14)) >>> 0;
  };
  const hex = (bits: number, digits: number) => bits.toString(16).padStart(8, '0').slice(0, digits);
  return Array.from({ length: count }, () => {
    const [a, b, c, d] = [next(), next(), next(), next()];
    return `${hex(a, 8)}-${hex(b, 4)}-4${hex(b, 8).slice(5)}-${'89ab'[c % 4]}${hex(c, 8).slice(5)}-${hex(d, 8)}${hex(next(), 4)}`;
  });
}

/** The variant the split node `nodeId` gives a contact by weight (its key as core.split writes it). */
const variantOf = (variants: { key: string; weight: number }[], contactId: string, nodeId: string) =>
  pickVariant(variants, `${contactId}:${nodeId}`);

const AB = [
  { key: 'a', weight: 50 },
  { key: 'b', weight: 50 },
];

describe('two splits assign independently', () => {
  const ids = fixedUuids(20_000);

  test('a contact’s variant at one split says nothing of its variant at another', () => {
    const at = (nodeId: string) => ids.map((id) => variantOf(AB, id, nodeId));
    const [ab, cd, ef] = [at('ab'), at('cd'), at('ef')];
    const sameShare = (other: string[]) => ab.filter((v, i) => v === other[i]).length / ids.length;
    // Independent 50/50 splits agree half the time: 0.5 ± 0.02 is over five standard errors.
    expect(Math.abs(sameShare(cd) - 0.5)).toBeLessThan(0.02);
    expect(Math.abs(sameShare(ef) - 0.5)).toBeLessThan(0.02);
    // Each cell of the 2×2 table holds a quarter.
    for (const [x, y] of [
      ['a', 'a'],
      ['a', 'b'],
      ['b', 'a'],
      ['b', 'b'],
    ])
      expect(Math.abs(ab.filter((v, i) => v === x && cd[i] === y).length / ids.length - 0.25)).toBeLessThan(0.015);
  });

  test('weights are still honoured', () => {
    const variants = [
      { key: 'a', weight: 50 },
      { key: 'b', weight: 30 },
      { key: 'control', weight: 20 },
    ];
    const counts: Record<string, number> = { a: 0, b: 0, control: 0 };
    for (const id of ids) counts[variantOf(variants, id, 'ab')]! += 1;
    expect(Math.abs((counts.a ?? 0) / ids.length - 0.5)).toBeLessThan(0.015);
    expect(Math.abs((counts.b ?? 0) / ids.length - 0.3)).toBeLessThan(0.015);
    expect(Math.abs((counts.control ?? 0) / ids.length - 0.2)).toBeLessThan(0.015);
  });
});

describe('in a journey', () => {
  let t: TestApp;
  let worker: WorkerHandle;
  beforeAll(async () => {
    t = await experimentsApp();
    worker = await startWorker(t.runtime, { pollInterval: 200 });
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
  });

  /** Contacts with the given ids, in one statement. */
  async function contactsWithIds(ids: string[]): Promise<string[]> {
    await sql`
      insert into contacts (id, workspace_id, email)
      select id, (select id from workspaces where is_default), id || '@example.com' from unnest(${ids}::uuid[]) id`.execute(
      t.runtime.db,
    );
    return ids;
  }

  test('a split saved without variants sends each contact by the default ones, a and b at 50 each', async () => {
    const graph = splitGraph(AB);
    const split = graph.nodes.find((node) => node.id === 'ab');
    if (split) split.params = {};
    const journey = await publish(t.runtime.db, graph);
    const contacts = await makeContacts(t, 20);
    await runThrough(t, journey, contacts);
    const taken = await assignments(t, journey.journeyId, contacts);
    for (const id of contacts) expect(taken.get(id)).toEqual({ variant: variantOf(AB, id, 'ab'), by: 'weights' });
  });

  test('a split after a split sends as many contacts to the same letter as to the other', async () => {
    const graph = {
      nodes: [
        n('t', 'tst.trigger'),
        n('ab', 'core.split', { variants: AB }),
        n('cd', 'core.split', { variants: AB }),
        n('after-a', 'tst.step'),
        n('after-b', 'tst.step'),
      ],
      edges: [e('t', 'ab'), e('ab', 'cd', 'a'), e('ab', 'cd', 'b'), e('cd', 'after-a', 'a'), e('cd', 'after-b', 'b')],
    };
    const journey = await publish(t.runtime.db, graph);
    const contacts = await contactsWithIds(fixedUuids(400, 7));
    await runThrough(t, journey, contacts);
    const { rows } = await sql<{ same: number; total: number }>`
      select count(*) filter (where x.output ->> 'variant' = y.output ->> 'variant')::int as same, count(*)::int as total
      from runs r join steps x on x.run_id = r.id and x.node_id = 'ab' join steps y on y.run_id = r.id and y.node_id = 'cd'
      where r.journey_id = ${journey.journeyId}`.execute(t.runtime.db);
    expect(rows[0]?.total).toBe(400);
    // 400 contacts: 0.5 ± 0.075 is three standard errors; the former hash gave 0.64.
    expect(Math.abs((rows[0]?.same ?? 0) / 400 - 0.5)).toBeLessThan(0.075);
  }, 120_000);

  test('a contact already assigned keeps its variant when it comes again, whatever the weights now', async () => {
    const journey = await publish(t.runtime.db, splitGraph(AB));
    const at = (weights: [number, number]) => [
      { key: 'a', weight: weights[0] },
      { key: 'b', weight: weights[1] },
    ];
    // A contact the hash sends to a at 50/50 and to b at 10/90.
    let chosen: string | undefined;
    for (const id of fixedUuids(200, 11)) {
      if (variantOf(at([50, 50]), id, 'ab') === 'a' && variantOf(at([10, 90]), id, 'ab') === 'b') {
        chosen = id;
        break;
      }
    }
    const [contact] = await contactsWithIds([chosen as string]);
    await runThrough(t, journey, [contact as string]);
    expect((await assignments(t, journey.journeyId, [contact as string])).get(contact as string)).toEqual({
      variant: 'a',
      by: 'weights',
    });

    const v2 = await publish(t.runtime.db, splitGraph(at([10, 90])), {}, journey.journeyId);
    await runThrough(t, v2, [contact as string]);
    const { rows } = await sql<{ variant: string; by: string }>`
      select s.output ->> 'variant' as variant, s.output ->> 'by' as by from runs r join steps s on s.run_id = r.id
      where r.journey_id = ${journey.journeyId} and r.version = 2 and s.node_id = 'ab'`.execute(t.runtime.db);
    expect(rows).toEqual([{ variant: 'a', by: 'weights' }]);
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/journeys/${journey.journeyId}/experiments`,
      headers: t.auth,
    });
    expect(res.json().experiments[0].variants.map((v: { key: string; entered: number }) => [v.key, v.entered])).toEqual(
      [
        ['a', 1],
        ['b', 0],
      ],
    );
  }, 60_000);

  test('a contact assigned under the former hash keeps that variant', async () => {
    const journey = await publish(t.runtime.db, splitGraph(AB));
    const [contact] = await contactsWithIds(fixedUuids(1, 13));
    const hashed = variantOf(AB, contact as string, 'ab');
    const before = hashed === 'a' ? 'b' : 'a';
    // Its first assignment as recorded before this hash: the other variant, by weight.
    await sql`
      insert into split_units (workspace_id, journey_id, node_id, unit, variant, by)
      select workspace_id, id, 'ab', ${contact}, ${before}, 'weights' from journeys where id = ${journey.journeyId}`.execute(
      t.runtime.db,
    );
    await runThrough(t, journey, [contact as string]);
    expect((await assignments(t, journey.journeyId, [contact as string])).get(contact as string)).toEqual({
      variant: before,
      by: 'weights',
    });
  }, 60_000);
});
