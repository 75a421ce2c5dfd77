import { describe, expect, test } from 'vitest';
import { createContactsService } from '../../../engine/contacts/service.js';
import { createCredentialsService } from '../../../engine/credentials/service.js';
import { evaluateTriggers } from '../../../engine/segments/tick.js';
import { stepScope } from '../../channels/scope.js';
import { e, eventually, n } from '../../engine/support.js';
import { openLiveFeed } from '../../support/live-client.js';
import { hookOfA, useTwoWorkspaces } from '../two-workspaces.js';

// Workspace isolation in the engine: triggers, nodes' services, forms and the live feed.
const w = useTwoWorkspaces();

describe('two workspaces: the engine', () => {
  test('a segment trigger of B looks at B’s contacts only', async () => {
    const bVip = (
      await w.ok<{ id: string }>(
        { method: 'POST', url: '/api/contacts', payload: { email: 'b-vip@example.com' } },
        w.bAuth,
      )
    ).id;
    await w.ok({ method: 'POST', url: `/api/contacts/${bVip}/tags`, payload: { tag: 'vip' } }, w.bAuth);
    const { id } = await w.ok<{ id: string }>(
      {
        method: 'POST',
        url: '/api/journeys',
        payload: {
          name: 'B vips',
          graph: {
            nodes: [n('seg', 'core.segment', { filter: { tag: 'vip', op: 'has' }, every: 'PT1M' }), n('a', 'tst.step')],
            edges: [e('seg', 'a')],
          },
        },
      },
      w.bAuth,
    );
    await w.ok({ method: 'POST', url: `/api/journeys/${id}/publish` }, w.bAuth);
    await evaluateTriggers(w.t.runtime);
    // A's contact carries `vip` too: only B's enters.
    const runs = await eventually(async () => {
      const r = await w.ok<{ runs: { contactId: string }[] }>(
        { method: 'GET', url: `/api/runs?journeyId=${id}` },
        w.bAuth,
      );
      return r.runs.length ? r.runs : undefined;
    });
    expect(runs.map((r) => r.contactId)).toEqual([bVip]);
  });

  test('a node running in B finds none of A’s contacts or credentials', async () => {
    const scope = await stepScope(w.t.runtime, { workspaceId: w.B });
    const contacts = createContactsService(scope);
    await expect(contacts.get(w.a.contact as string)).rejects.toThrow(`no contact ${w.a.contact}`);
    await expect(contacts.addTag(w.a.contact as string, 'taken')).rejects.toThrow(`no contact ${w.a.contact}`);
    await expect(contacts.recordEvent(w.a.contact as string, 'spoofed', {})).rejects.toThrow('no contact');
    await expect(createCredentialsService(scope, ['email.smtp']).get(w.a.credential as string)).rejects.toThrow(
      'does not exist',
    );
    const inA = await createContactsService(await stepScope(w.t.runtime, { contactId: w.a.contact })).get(
      w.a.contact as string,
    );
    expect(inA?.tags.map((x) => x.tag)).toEqual(['vip']);
  });

  test('a form’s submissions land in the form’s workspace', async () => {
    const res = await w.t.app.inject({
      method: 'POST',
      url: '/f/a-signup',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      payload: JSON.stringify({ email: 'reader@example.com' }),
    });
    expect(res.statusCode).toBeLessThan(300);
    const inA = await w.ok<{ total: number }>(
      {
        method: 'GET',
        url: `/api/contacts?segment=${encodeURIComponent(JSON.stringify({ attr: 'email', op: 'eq', value: 'reader@example.com' }))}`,
      },
      w.aAuth,
    );
    const inB = await w.ok<{ total: number }>(
      {
        method: 'GET',
        url: `/api/contacts?segment=${encodeURIComponent(JSON.stringify({ attr: 'email', op: 'eq', value: 'reader@example.com' }))}`,
      },
      w.bAuth,
    );
    expect([inA.total, inB.total]).toEqual([1, 0]);
  });
});

describe('the live feed', () => {
  test('sends each workspace only its own steps, even for a journey id asked for', async () => {
    const base = (await w.t.app.listen({ port: 0, host: '127.0.0.1' })).replace('http', 'ws');
    const connect = (query: string) => openLiveFeed<{ journeyId: string }>(base, query);
    const bToken = w.bAuth.authorization?.replace('Bearer ', '') as string;
    const aToken = w.aAuth.authorization?.replace('Bearer ', '') as string;
    const bAll = await connect(`token=${bToken}`);
    const bSpying = await connect(`token=${bToken}&journeyId=${w.a.journey}`);
    const aAll = await connect(`token=${aToken}`);
    await new Promise((r) => setTimeout(r, 300)); // the LISTEN connection settles
    const hook = await hookOfA(w, 'live@example.com');
    expect(hook.statusCode).toBe(202);
    await eventually(async () => aAll.messages.length >= 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(aAll.messages.every((m) => m.journeyId === w.a.journey)).toBe(true);
    expect(bAll.messages).toEqual([]);
    expect(bSpying.messages).toEqual([]);
    for (const c of [aAll, bAll, bSpying]) c.socket.close();
  });
});
