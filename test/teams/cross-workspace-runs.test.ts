import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { eventually } from '../engine/support.js';
import { type Auth, SECRET, useTwoWorkspaces } from './two-workspaces.js';

// Workspace isolation of the run list's paging: a cursor naming a run of another workspace is
// an unknown cursor.
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
  test('a cursor naming a run of A pages B’s runs as an unknown cursor does: nothing', async () => {
    const bJourney = await w.publishedJourney(w.bAuth, 'B journey');
    await runOf(w.bAuth, bJourney);
    // A run of A started after B's: as a cursor it would page B's older runs, showing when it started.
    const aRun = await runOf(w.aAuth, w.a.journey as string);
    const unknown = await w.ok<{ runs: unknown[] }>(
      { method: 'GET', url: `/api/runs?cursor=${randomUUID()}` },
      w.bAuth,
    );
    expect(unknown.runs).toEqual([]);
    const res = await w.call({ method: 'GET', url: `/api/runs?cursor=${aRun}` }, w.bAuth);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ runs: [], nextCursor: null });
    // B's own runs still page by B's cursors.
    const own = await w.ok<{ runs: { id: string }[] }>({ method: 'GET', url: '/api/runs?limit=1' }, w.bAuth);
    expect(own.runs).toHaveLength(1);
  });
});
