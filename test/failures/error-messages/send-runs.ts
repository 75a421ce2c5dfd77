import type { GraphNode } from '../../../engine/graph/types.js';
import { insertContact } from '../../channels/scope.js';
import { e, eventually, n, runEnds, startAtTrigger } from '../../engine/support.js';
import type { TestApp } from '../../support/runtime.js';
import { api, publishJourney } from '../support.js';

// Runs that send through a sending credential (or SMTP_URL) and fail, read as a user reads
// them: the run, its step and its message from the API.

let contacts = 0;

/** A credential of `type` created through the API: its id. */
export async function credential(t: TestApp, type: string, data: Record<string, unknown>): Promise<string> {
  const created = await api(t, { method: 'POST', url: '/api/credentials', payload: { name: type, type, data } });
  if (created.status !== 201) throw new Error(`credential: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body.id as string;
}

/** An email.send (one attempt) through `credential`, or `SMTP_URL` without one. */
export const mail = (credential?: string): GraphNode => ({
  ...n('mail', 'email.send', {
    from: 'News <news@example.com>',
    subject: 'Hello',
    html: '<p>Hello</p>',
    category: 'transactional',
    ...(credential ? { credential } : {}),
  }),
  settings: { retry: { attempts: 1 } },
});

/**
 * Runs trigger (`tst.trigger`) → `node` (id `mail`) for a new contact until it ends (or parks,
 * with `statuses`); returns the run and its message as GET /api/runs/:id and GET /api/messages
 * show them.
 */
export async function sendRun(t: TestApp, node: GraphNode, statuses?: string[]) {
  const j = await publishJourney(t, { nodes: [n('t', 'tst.trigger'), node], edges: [e('t', 'mail')] }, 'Mailing');
  contacts++;
  const contactId = await insertContact(t.runtime, { email: `c${contacts}@example.org` });
  const runId = await startAtTrigger(t.runtime.db, j, contactId);
  await runEnds(t.runtime.db, runId, statuses);
  const { body: run } = await api(t, { url: `/api/runs/${runId}` });
  const message = await eventually(async () => {
    const { body } = await api(t, { url: `/api/messages?runId=${runId}` });
    return body.messages[0]?.error ? body.messages[0] : undefined;
  });
  return { run, step: run.steps.find((s: { nodeId: string }) => s.nodeId === 'mail'), message };
}
