import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { GraphDiff } from '../../../engine/graph/diff.js';
import { createJourney, journeysApp, validGraph } from '../../api/journeys/support.js';
import type { TestApp } from '../../support/runtime.js';
import { type Browser, defaultWorkspace, makeUser, signIn } from '../support.js';

// teams.md "Audit log": every change is appended in the same transaction as the change, and
// journey.draft_saved has details: { diff } from the previous draft.

let t: TestApp;
let author: Browser;
let editor: Browser;
beforeAll(async () => {
  t = await journeysApp();
  const ws = await defaultWorkspace(t.runtime.db);
  await makeUser(t.runtime.db, 'author@example.com', ws, 'author');
  await makeUser(t.runtime.db, 'editor@example.com', ws, 'editor');
  author = await signIn(t.app, 'author@example.com');
  editor = await signIn(t.app, 'editor@example.com');
});
afterAll(() => t.close());

type Entry = { actor: { id: string | null }; details: { diff: GraphDiff } };

/** The draft everyone starts from, plus one node of the saver's own. */
function withNode(nodeId: string) {
  const graph = validGraph();
  graph.nodes.push({
    id: nodeId,
    type: 'fixture.step',
    version: 1,
    params: { text: nodeId },
    position: { x: 0, y: 200 },
  });
  return { graph };
}

const ROUNDS = 8;

describe('two users saving one draft at once', () => {
  test('each entry credits its saver with their own change, and the later one undoes the earlier', async () => {
    const journeyId = await createJourney(t);
    for (let round = 0; round < ROUNDS; round++) {
      const saves = await Promise.all(
        [author, editor].map((who) =>
          t.app.inject({
            method: 'PUT',
            url: `/api/journeys/${journeyId}/draft`,
            headers: who.headers,
            payload: withNode(`by_${who.email.split('@')[0]}${round}`),
          }),
        ),
      );
      expect(saves.map((s) => s.statusCode)).toEqual([200, 200]);
    }
    const { entries } = (
      await t.app.inject({
        method: 'GET',
        url: `/api/audit?object=${journeyId}&action=journey.draft_saved`,
        headers: t.auth,
      })
    ).json() as { entries: Entry[] };
    expect(entries).toHaveLength(2 * ROUNDS);
    const nodeOf = (e: Entry) => `by_${e.actor.id === author.userId ? 'author' : 'editor'}`;
    // Newest first: each round's pair is [later, earlier].
    for (let round = 0; round < ROUNDS; round++) {
      const at = 2 * (ROUNDS - 1 - round);
      const [later, earlier] = [entries[at], entries[at + 1]] as [Entry, Entry];
      expect(later.actor.id).not.toBe(earlier.actor.id);
      for (const e of [later, earlier])
        expect(e.details.diff.nodes.added, `round ${round}`).toEqual([`${nodeOf(e)}${round}`]);
      expect(later.details.diff.nodes.removed, `round ${round}`).toEqual([`${nodeOf(earlier)}${round}`]);
    }
  });
});
