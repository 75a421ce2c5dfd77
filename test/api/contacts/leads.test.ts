import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLeadsService } from '../../../engine/leads/service.js';
import { insertContact, stepScope } from '../../channels/scope.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const owners = ['ann@sales.test', 'ben@sales.test', 'cat@sales.test'];

describe('leads service', () => {
  test('assigns round-robin in the owners’ order, across service instances', async () => {
    const list = [...owners, `${randomUUID()}@sales.test`];
    const picked = [];
    for (let i = 0; i < 5; i++) {
      const lead = await createLeadsService(await stepScope(t.runtime)).create({
        title: `L${i}`,
        owners: list,
        assign: 'round-robin',
      });
      picked.push(lead.owner);
    }
    expect(picked).toEqual([list[0], list[1], list[2], list[3], list[0]]);
  });

  test('concurrent leads each take their own turn', async () => {
    const list = [`${randomUUID()}@sales.test`, `${randomUUID()}@sales.test`];
    const leads = await Promise.all(
      Array.from({ length: 6 }, async (_, i) =>
        createLeadsService(await stepScope(t.runtime)).create({ title: `C${i}`, owners: list, assign: 'round-robin' }),
      ),
    );
    expect(leads.filter((l) => l.owner === list[0])).toHaveLength(3);
  });

  test('a retried step returns its lead instead of creating another', async () => {
    const scope = await stepScope(t.runtime);
    const first = await createLeadsService(scope).create({ title: 'Once', owners, assign: 'round-robin' });
    const again = await createLeadsService(scope).create({ title: 'Once', owners, assign: 'round-robin' });
    expect(again).toEqual(first);
  });
});

describe('leads API', () => {
  test('lists leads by owner, status and contact, with their source', async () => {
    const contactId = await insertContact(t.runtime, { email: `${randomUUID()}@example.com` });
    const scope = await stepScope(t.runtime, { contactId, nodeId: 'lead1' });
    const lead = await createLeadsService(scope).create({ title: 'Demo', owners: ['zed@sales.test'], assign: 'first' });
    const res = await t.app.inject({ method: 'GET', url: `/api/leads?contactId=${contactId}`, headers: t.auth });
    expect(res.statusCode).toBe(200);
    expect(res.json().leads).toEqual([
      {
        id: lead.id,
        title: 'Demo',
        contactId,
        owner: 'zed@sales.test',
        status: 'open',
        createdAt: lead.createdAt,
        source: { journeyId: scope.journeyId, runId: scope.runId, nodeId: 'lead1' },
      },
    ]);
    const byOwner = await t.app.inject({
      method: 'GET',
      url: '/api/leads?owner=zed@sales.test&status=open',
      headers: t.auth,
    });
    expect(byOwner.json().leads.map((l: { id: string }) => l.id)).toEqual([lead.id]);
  });

  test('PATCH changes status and owner', async () => {
    const lead = await createLeadsService(await stepScope(t.runtime)).create({
      title: 'Won it',
      owners,
      assign: 'first',
    });
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/leads/${lead.id}`,
      headers: t.auth,
      payload: { status: 'won', owner: 'ben@sales.test' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: lead.id, status: 'won', owner: 'ben@sales.test' });
  });

  test('PATCH refuses an unknown status and an unknown lead', async () => {
    const lead = await createLeadsService(await stepScope(t.runtime)).create({ title: 'X', owners, assign: 'first' });
    const bad = await t.app.inject({
      method: 'PATCH',
      url: `/api/leads/${lead.id}`,
      headers: t.auth,
      payload: { status: 'maybe' },
    });
    expect(bad.statusCode).toBe(400);
    const missing = await t.app.inject({
      method: 'PATCH',
      url: `/api/leads/${randomUUID()}`,
      headers: t.auth,
      payload: { status: 'won' },
    });
    expect(missing.statusCode).toBe(404);
  });

  test('an id or contact filter that is not a UUID answers 400 naming it', async () => {
    const patch = await t.app.inject({ method: 'PATCH', url: '/api/leads/nope', headers: t.auth, payload: {} });
    expect(patch.statusCode).toBe(400);
    expect(patch.json().error.details).toEqual([{ path: '/id', message: 'params/id must match format "uuid"' }]);
    const list = await t.app.inject({ method: 'GET', url: '/api/leads?contactId=not-uuid', headers: t.auth });
    expect(list.statusCode).toBe(400);
    expect(list.json().error.details).toEqual([
      { path: '/contactId', message: 'querystring/contactId must match format "uuid"' },
    ]);
  });
});
