import { describe, expect, test } from 'vitest';
import { e, eventually, n } from '../../engine/support.js';
import { type Auth, SECRET, useTwoWorkspaces } from '../two-workspaces.js';

// Workspace isolation of a lead's round-robin: each workspace takes its own turns, even when
// both name the same salespeople.
const w = useTwoWorkspaces();

const owners = ['first@sales.example', 'second@sales.example'];
const leadGraph = (title: string) => ({
  nodes: [
    n('hook', 'core.webhook', { secret: SECRET }),
    n('lead', 'crm.create-lead', { title, owners, assign: 'round-robin' }),
  ],
  edges: [e('hook', 'lead')],
});

async function journeyOf(as: Auth, title: string, publish: boolean): Promise<string> {
  const { id } = await w.ok<{ id: string }>(
    { method: 'POST', url: '/api/journeys', payload: { name: title, graph: leadGraph(title) } },
    as,
  );
  if (publish) await w.ok({ method: 'POST', url: `/api/journeys/${id}/publish` }, as);
  return id;
}

/** Fires the journey's webhook and waits for the lead its run creates; the lead's owner. */
async function leadThroughRun(as: Auth, journeyId: string, title: string): Promise<string> {
  const hook = await w.t.app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/hook`,
    headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
    payload: JSON.stringify({ email: `${title}@example.com` }),
  });
  expect(hook.statusCode).toBeLessThan(300);
  const lead = await eventually(async () => {
    const { leads } = await w.ok<{ leads: { title: string; owner: string }[] }>(
      { method: 'GET', url: '/api/leads' },
      as,
    );
    return leads.find((l) => l.title === title);
  });
  return lead.owner;
}

/** The owner a test run of the journey shows for its lead (the turn not taken). */
async function upcomingOwner(as: Auth, journeyId: string): Promise<string> {
  const result = await w.ok<{ steps: { nodeId: string; writes?: { op: string; owner?: string }[] }[] }>(
    { method: 'POST', url: `/api/journeys/${journeyId}/test`, payload: { contact: { email: 'x@example.com' } } },
    as,
  );
  const write = result.steps.find((s) => s.nodeId === 'lead')?.writes?.find((x) => x.op === 'createLead');
  return write?.owner as string;
}

describe('two workspaces: leads', () => {
  test('a lead of A takes no turn of B’s round-robin, and a test run of B learns nothing of A’s leads', async () => {
    const inA = await journeyOf(w.aAuth, 'a-round', true);
    const inB = await journeyOf(w.bAuth, 'b-round', true);
    expect(await leadThroughRun(w.aAuth, inA, 'a-round')).toBe(owners[0]);
    // B has made no lead: its first goes to the first owner, whatever A did.
    expect(await upcomingOwner(w.bAuth, inB)).toBe(owners[0]);
    expect(await leadThroughRun(w.bAuth, inB, 'b-round')).toBe(owners[0]);
    // And B's lead took no turn of A's.
    expect(await upcomingOwner(w.aAuth, inA)).toBe(owners[1]);
  });
});
