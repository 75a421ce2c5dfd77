import { type Kysely, sql } from 'kysely';
import { describe, expect, test } from 'vitest';
import { up as uniteOldMerges } from '../../migrations/0084_split_units_of_survivors.js';
import { pickVariant } from '../../nodes/core/src/split.js';
import { identityApp, node } from './support.js';

// contracts/experiments.md "Figures": the unit is the contact. A merge makes two contacts one
// person, so it counts once in each experiment, in one variant; an unmerge makes two again.

const { app, json, contact, waitingRuns } = identityApp();
const event = (contactId: string, name: string) => json('POST', '/api/events', { contactId, name });

const AB = [
  { key: 'a', weight: 50 },
  { key: 'b', weight: 50 },
];
let made = 0;

/** A new contact the split sends to `variant` by weight. */
async function contactIn(variant: 'a' | 'b'): Promise<string> {
  for (;;) {
    const id = await contact({ email: `split-${++made}-${Date.now()}@example.com` });
    if (pickVariant(AB, `${id}:ab`) === variant) return id;
  }
}

/**
 * A published journey: the event `enter` (each journey its own name: every journey of the file
 * stays live) → the A/B split `ab`, with the goal `purchase`.
 */
async function experiment(wait?: string): Promise<{ id: string; enter: (contactId: string) => Promise<unknown> }> {
  const name = `enter-${++made}`;
  // With `wait`, a core.wait of that duration in front of the split.
  const before = wait ? [node('w', 'core.wait', { duration: wait }, 50)] : [];
  const graph = {
    nodes: [node('t', 'core.event', { event: name }, 0), ...before, node('ab', 'core.split', { variants: AB }, 100)],
    edges: (wait ? ['t', 'w', 'ab'] : ['t', 'ab'])
      .slice(1)
      .map((target, i, all) => ({ id: `e${i}`, source: i ? all[i - 1] : 't', sourceHandle: 'out', target })),
  };
  const settings = { goal: { event: 'purchase', windowSeconds: 3600 } };
  const { id } = await json('POST', '/api/journeys', { name: `Experiment ${++made}`, graph, settings });
  await json('POST', `/api/journeys/${id}/publish`);
  return { id, enter: (contactId: string) => event(contactId, name) };
}

type Figures = Record<string, { entered: number; converted: number }>;

/** The split's figures as `GET /api/journeys/:id/experiments` shows them, once they are `expected`. */
async function figures(journeyId: string, expected: Figures): Promise<Figures> {
  let seen: Figures = {};
  for (let i = 0; i < 100; i++) {
    const { experiments } = await json('GET', `/api/journeys/${journeyId}/experiments`);
    const variants = experiments[0].variants as { key: string; entered: number; converted: number }[];
    seen = Object.fromEntries(variants.map((v) => [v.key, { entered: v.entered, converted: v.converted }]));
    if (JSON.stringify(seen) === JSON.stringify(expected)) return seen;
    await new Promise((r) => setTimeout(r, 100));
  }
  return seen;
}

/** Expects the split's figures to become [`a` entered, `a` converted, `b` entered, `b` converted]. */
async function expectFigures(journeyId: string, ...[aIn, aConverted, bIn, bConverted]: number[]) {
  const expected = { a: { entered: aIn, converted: aConverted }, b: { entered: bIn, converted: bConverted } };
  expect(await figures(journeyId, expected as Figures)).toEqual(expected);
}

/**
 * A new experiment and two contacts the split sends to the variants named: `keep` (to
 * survive) and `gone` (to be merged away); those in `entered` have reached the split, those in
 * `bought` then bought, and the figures show it.
 */
async function reached(
  variants: { keep: 'a' | 'b'; gone: 'a' | 'b' },
  entered: ('keep' | 'gone')[],
  bought: ('keep' | 'gone')[] = [],
) {
  const { id: journey, enter } = await experiment();
  const contacts = { keep: await contactIn(variants.keep), gone: await contactIn(variants.gone) };
  const counts: Figures = { a: { entered: 0, converted: 0 }, b: { entered: 0, converted: 0 } };
  for (const who of entered) {
    await enter(contacts[who]);
    (counts[variants[who]] as { entered: number }).entered += 1;
  }
  // Bought once the split is written: a purchase racing the split's write can go uncounted.
  expect(await figures(journey, counts)).toEqual(counts);
  for (const who of bought) {
    await event(contacts[who], 'purchase');
    (counts[variants[who]] as { converted: number }).converted += 1;
  }
  expect(await figures(journey, counts)).toEqual(counts);
  return { journey, enter, ...contacts };
}

/** The variant each of the contact's runs took at the split, oldest first, once it has `count`. */
async function variantsTaken(contactId: string, count: number): Promise<string[]> {
  for (let i = 0; i < 100; i++) {
    const { runs } = await json('GET', `/api/runs?contactId=${contactId}&status=completed`);
    if (runs.length >= count) {
      const taken = [];
      for (const r of [...runs].reverse()) {
        const { steps } = await json('GET', `/api/runs/${r.id}`);
        taken.push(steps.find((s: { nodeId: string }) => s.nodeId === 'ab')?.output?.variant);
      }
      return taken;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`contact ${contactId} never had ${count} completed runs`);
}

const merge = (keep: string, gone: string) => json('POST', `/api/contacts/${keep}/merge`, { from: gone });
const unmerge = (keep: string, gone: string) => json('POST', `/api/contacts/${keep}/unmerge`, { from: gone });

describe('a merge counts the person once', () => {
  test('a split only the merged-away contact reached: its unit becomes the survivor’s, variant and conversion', async () => {
    const { journey, enter, keep, gone } = await reached({ keep: 'a', gone: 'b' }, ['gone'], ['gone']);
    await merge(keep, gone);
    await expectFigures(journey, 0, 0, 1, 1);
    // The survivor entering now is the same person entering again: the variant it was given.
    await enter(keep);
    expect(await variantsTaken(keep, 2)).toEqual(['b', 'b']);
    await expectFigures(journey, 0, 0, 1, 1);
  });

  test('a split both reached: the survivor keeps its variant and the other’s unit, conversion included, no longer counts', async () => {
    const { journey, enter, keep, gone } = await reached({ keep: 'a', gone: 'b' }, ['keep', 'gone'], ['gone']);
    await merge(keep, gone);
    await expectFigures(journey, 1, 0, 0, 0);
    await enter(keep);
    // Its two runs of its own through `a`, and the merged-away contact's run through `b`.
    expect((await variantsTaken(keep, 3)).sort()).toEqual(['a', 'a', 'b']);
    // A purchase now converts the runs through `a`: the person converted in its variant.
    await event(keep, 'purchase');
    await expectFigures(journey, 1, 1, 0, 0);
  });

  test('a split both reached in the same variant: one unit, converted when either had', async () => {
    const { journey, keep, gone } = await reached({ keep: 'a', gone: 'a' }, ['keep', 'gone'], ['gone']);
    await merge(keep, gone);
    await expectFigures(journey, 1, 1, 0, 0);
  });

  test('contacts that reached no split change no figure', async () => {
    const { journey, keep } = await reached({ keep: 'a', gone: 'b' }, ['keep']);
    const [other, otherGone] = [await contactIn('b'), await contactIn('b')];
    await merge(other, otherGone);
    await expectFigures(journey, 1, 0, 0, 0);
    await unmerge(other, otherGone);
    await expectFigures(journey, 1, 0, 0, 0);
    expect(await variantsTaken(keep, 1)).toEqual(['a']);
  });
});

describe('an unmerge makes two people again', () => {
  test('both reached the split: each counts again in its own variant, with its conversion', async () => {
    const { journey, enter, keep, gone } = await reached({ keep: 'a', gone: 'b' }, ['keep', 'gone'], ['gone']);
    await merge(keep, gone);
    await unmerge(keep, gone);
    await expectFigures(journey, 1, 0, 1, 1);
    // Each enters again in its own variant.
    await enter(gone);
    await enter(keep);
    expect(await variantsTaken(gone, 2)).toEqual(['b', 'b']);
    expect(await variantsTaken(keep, 2)).toEqual(['a', 'a']);
  });

  test('only the merged-away contact reached it: the unit goes back to it with its conversion, and the survivor is assigned afresh', async () => {
    const { journey, enter, keep, gone } = await reached({ keep: 'a', gone: 'b' }, ['gone']);
    await merge(keep, gone);
    // The run through `b` is the survivor's while merged: this converts it.
    await event(keep, 'purchase');
    await expectFigures(journey, 0, 0, 1, 1);
    await unmerge(keep, gone);
    await expectFigures(journey, 0, 0, 1, 1);

    await enter(keep);
    expect(await variantsTaken(keep, 1)).toEqual(['a']);
    await expectFigures(journey, 1, 0, 1, 1);
  });

  test('a unit that gave way to the restored contact’s counts again for the survivor it is still merged into', async () => {
    const { journey, enter, keep, gone } = await reached({ keep: 'a', gone: 'b' }, ['gone']);
    const second = await contactIn('a');
    await enter(second);
    await expectFigures(journey, 1, 0, 1, 0);
    await merge(keep, gone);
    await merge(keep, second);
    await expectFigures(journey, 0, 0, 1, 0);

    await unmerge(keep, gone);
    await expectFigures(journey, 1, 0, 1, 0);
    // The survivor is the person of `second` now, and enters as that person was assigned.
    await enter(keep);
    expect((await variantsTaken(keep, 2)).sort()).toEqual(['a', 'a']);
  });

  test('a merge made before units were kept leaves them where it left them', async () => {
    const { journey, enter, keep, gone } = await reached({ keep: 'a', gone: 'b' }, ['gone']);
    await merge(keep, gone);
    // As such a merge left it: the unit under the merged-away id, the copies without units.
    const db = app().runtime.db;
    await sql`update split_units set unit = ${gone} where unit = ${keep}`.execute(db);
    await sql`
      update contact_merges set survivor_before = survivor_before - 'units',
        survivor_after = survivor_after - 'units', merged_before = merged_before - 'units'
      where merged_id = ${gone}`.execute(db);

    await unmerge(keep, gone);
    await expectFigures(journey, 0, 0, 1, 0);
    await enter(gone);
    expect(await variantsTaken(gone, 2)).toEqual(['b', 'b']);
  });
});

/** Waits until a statement matching `pattern` of this test's database waits for a lock. */
async function waitingOnLock(pattern: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock' and query ~ ${pattern}`.execute(app().runtime.db);
    if (rows[0]?.n) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no statement matching ${pattern} ever waited`);
}

describe('a split step settling as the merge commits', () => {
  test('its unit lands on the survivor, which counts once in its own variant', async () => {
    const { id: journey, enter } = await experiment('PT3S');
    const [keep, gone] = [await contactIn('a'), await contactIn('b')];
    await enter(keep);
    expect(await variantsTaken(keep, 1)).toEqual(['a']);
    await enter(gone);
    const [parked] = await waitingRuns(gone, 1);
    // The run held, the merge waits to move it; the split step, started naming the merged-away
    // contact, then waits behind the merge to be written.
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const holding = app()
      .runtime.db.transaction()
      .execute(async (trx) => {
        await sql`select 1 from runs where id = ${parked.id} for update`.execute(trx);
        await held;
      });
    const merging = merge(keep, gone);
    try {
      await waitingOnLock('update "runs"');
      // (It marks its wait step running, or writes it, under the run's lock.)
      await waitingOnLock('waymark_(mark|write)_steps');
    } finally {
      release();
    }
    await Promise.all([holding, merging]);

    // Both runs are the survivor's and went through the split (the second in `b` when its step
    // ran naming the merged-away contact, in `a` when it ran again after a deadlock with the
    // merge): the person counts once, in the variant the survivor had.
    expect(await variantsTaken(keep, 2)).toHaveLength(2);
    await expectFigures(journey, 1, 0, 0, 0);
  });
});

describe('merges made before units moved with them (migration 0084)', () => {
  /** A merge as those made before left it: the merged-away contact's units under its own id. */
  async function oldMerge(keep: string, gone: string): Promise<void> {
    const db = app().runtime.db;
    await sql`update split_units set unit = ${`old:${gone}`} where unit = ${gone}`.execute(db);
    await merge(keep, gone);
    await sql`update split_units set unit = ${gone} where unit = ${`old:${gone}`}`.execute(db);
    await sql`
      update contact_merges set survivor_before = survivor_before - 'units',
        survivor_after = survivor_after - 'units', merged_before = merged_before - 'units'
      where merged_id = ${gone}`.execute(db);
  }

  test('a split both reached: the survivor’s unit alone counts, and again after a second run', async () => {
    const { journey, keep, gone } = await reached({ keep: 'a', gone: 'b' }, ['keep', 'gone'], ['gone']);
    await oldMerge(keep, gone);
    await expectFigures(journey, 1, 0, 1, 1);
    await uniteOldMerges(app().runtime.db as unknown as Kysely<unknown>);
    await expectFigures(journey, 1, 0, 0, 0);
    await uniteOldMerges(app().runtime.db as unknown as Kysely<unknown>);
    await expectFigures(journey, 1, 0, 0, 0);
  });

  test('a split only the merged-away contact reached: its unit, converted, becomes the survivor’s', async () => {
    const { journey, enter, keep, gone } = await reached({ keep: 'a', gone: 'b' }, ['gone'], ['gone']);
    await oldMerge(keep, gone);
    await uniteOldMerges(app().runtime.db as unknown as Kysely<unknown>);
    await expectFigures(journey, 0, 0, 1, 1);
    await enter(keep);
    expect(await variantsTaken(keep, 2)).toEqual(['b', 'b']);
    await expectFigures(journey, 0, 0, 1, 1);
  });

  test('a merge undone since leaves each contact its own units', async () => {
    const { journey, keep, gone } = await reached({ keep: 'a', gone: 'b' }, ['keep', 'gone']);
    await oldMerge(keep, gone);
    await unmerge(keep, gone);
    await uniteOldMerges(app().runtime.db as unknown as Kysely<unknown>);
    await expectFigures(journey, 1, 0, 1, 0);
  });
});
