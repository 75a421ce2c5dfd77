import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { eventually } from '../../engine/support.js';
import { type Auth, SECRET, useTwoWorkspaces } from '../two-workspaces.js';

// Workspace isolation of the run list's paging: a cursor holds a place in the list (a start
// time and an id), not a run to look up, so another workspace's cursor shows nothing of it.
const w = useTwoWorkspaces();

/** Starts a run of the journey through its webhook; the run's id once it is listed. */
async function runOf(as: Auth, journeyId: string): Promise<string> {
  const hook = await w.t.app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/hook`,
    headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
    payload: JSON.stringify({ email: `${randomUUID()}@example.com` }),
  });
  const runId = hook.json().runId as string;
  await eventually(async () => {
    const { runs } = await w.ok<{ runs: { id: string }[] }>(
      { method: 'GET', url: `/api/runs?journeyId=${journeyId}` },
      as,
    );
    return runs.some((r) => r.id === runId);
  });
  return runId;
}

describe('two workspaces: runs', () => {
  test('a nextCursor of A pages B’s own runs from its place, showing none of A’s', async () => {
    const bJourney = await w.publishedJourney(w.bAuth, 'B journey');
    const bRun = await runOf(w.bAuth, bJourney);
    const aRuns = [await runOf(w.aAuth, w.a.journey as string), await runOf(w.aAuth, w.a.journey as string)];
    const aPage = await w.ok<{ runs: { id: string }[]; nextCursor: string }>(
      { method: 'GET', url: `/api/runs?journeyId=${w.a.journey}&limit=1` },
      w.aAuth,
    );
    expect(aPage.nextCursor).toEqual(expect.any(String));
    const res = await w.call({ method: 'GET', url: `/api/runs?cursor=${aPage.nextCursor}` }, w.bAuth);
    expect(res.statusCode).toBe(200);
    const ids = res.json().runs.map((r: { id: string }) => r.id);
    expect(ids).toContain(bRun);
    expect(ids.filter((id: string) => aRuns.includes(id))).toEqual([]);
  });

  test('a run id, of A or unknown, is no cursor: 400 at /cursor', async () => {
    const aRun = await runOf(w.aAuth, w.a.journey as string);
    for (const cursor of [aRun, randomUUID()]) {
      const res = await w.call({ method: 'GET', url: `/api/runs?cursor=${cursor}` }, w.bAuth);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details).toEqual([
        { path: '/cursor', message: 'querystring/cursor is not a nextCursor of this list' },
      ]);
    }
  });
});
