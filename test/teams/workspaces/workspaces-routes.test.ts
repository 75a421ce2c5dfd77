import { describe, expect, test } from 'vitest';
import { aObjectFor, BODIES, expectedAcross, QUERIES, RAW, ROUTES } from '../route-table.js';
import { useTwoWorkspaces } from '../two-workspaces.js';

// Workspace isolation on every route of the route table: B names A's objects (two-workspaces.ts).
const w = useTwoWorkspaces();

// The owner is a member of both workspaces (B shows who made its token): not A's alone.
const aIds = () =>
  Object.entries(w.a)
    .filter(([k, v]) => k !== 'userId' && v.length >= 36)
    .map(([, v]) => v);
// Not walked: public routes, sign-out (ends nothing of A's), the live feed (workspaces-engine.test.ts).
const walked = ROUTES.filter(
  ([m, p, perm]) => perm !== 'public' && !(m === 'POST' && p === '/api/auth/sign-out') && p !== '/api/live',
);

describe('two workspaces: every route', () => {
  test('every route refuses B what is A’s, and no answer to B carries an id of A', async () => {
    // Names are per workspace: B making its own `a-footer` snippet comes after B asked for A's.
    const ownNames = (m: string, p: string) => expectedAcross(m, p) < 300;
    const ordered = [...walked.filter(([m, p]) => !ownNames(m, p)), ...walked.filter(([m, p]) => ownNames(m, p))];
    for (const [method, path, permission] of ordered) {
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
      const key = `${method} ${path}`;
      const url =
        params.reduce((u, p) => u.replace(`{${p}}`, aObjectFor(w.a, w.A, path, p)), path) + (QUERIES[key] ?? '');
      const res = await w.call(
        RAW[key] ? { method, url, ...RAW[key] } : { method, url, payload: BODIES[key] },
        w.bAuth,
      );
      if (params.length > 0 && !path.startsWith('/api/workspaces/{id}')) {
        expect(res.statusCode, `${key} with A's object`).toBe(expectedAcross(method, path));
        if (res.statusCode === 404) expect(res.json().error.code, key).toBe('not_found');
      } else if (path.startsWith('/api/workspaces/{id}')) {
        expect(res.statusCode, `${key} with A's workspace`).toBe(404);
      } else if (permission === 'user') {
        expect(res.statusCode, key).toBe(403);
      } else {
        expect(res.statusCode, key).toBeLessThan(300);
      }
      if (res.statusCode < 300 && res.body)
        for (const id of aIds()) expect(res.body.includes(id), `${key} shows A's ${id}`).toBe(false);
    }
  });

  test('filters naming A’s objects find nothing for B', async () => {
    for (const url of [
      `/api/events?contactId=${w.a.contact}`,
      `/api/runs?journeyId=${w.a.journey}`,
      `/api/runs?contactId=${w.a.contact}`,
      `/api/messages?contactId=${w.a.contact}`,
      `/api/leads?contactId=${w.a.contact}`,
    ]) {
      const res = await w.call({ method: 'GET', url }, w.bAuth);
      expect(res.statusCode, url).toBe(200);
      const body = res.json() as Record<string, unknown[]>;
      const list = Object.values(body).find(Array.isArray) ?? [];
      expect(list, url).toEqual([]);
    }
    const segment = encodeURIComponent(JSON.stringify({ tag: 'vip', op: 'has' }));
    const preview = await w.ok<{ contacts: unknown[]; total: number }>(
      { method: 'GET', url: `/api/contacts?segment=${segment}` },
      w.bAuth,
    );
    expect(preview.total).toBe(0);
  });

  test('A’s objects are as A left them', async () => {
    expect((await w.ok<{ name: string }>({ method: 'GET', url: `/api/journeys/${w.a.journey}` }, w.aAuth)).name).toBe(
      'A journey',
    );
    expect(
      (await w.ok<{ status: string }>({ method: 'GET', url: `/api/journeys/${w.a.journey}` }, w.aAuth)).status,
    ).toBe('live');
    const contact = await w.ok<{ tags: { tag: string; active: boolean }[]; consent: { email: { status: string } } }>(
      { method: 'GET', url: `/api/contacts/${w.a.contact}` },
      w.aAuth,
    );
    expect(contact.tags.map((x) => [x.tag, x.active])).toEqual([['vip', true]]);
    expect(contact.consent.email.status).toBe('unknown');
    expect((await w.ok<{ body: string }>({ method: 'GET', url: '/api/snippets/a-footer' }, w.aAuth)).body).toBe(
      'A footer',
    );
    expect((await w.ok<{ subject: string }>({ method: 'GET', url: '/api/templates/a-welcome' }, w.aAuth)).subject).toBe(
      'Hi',
    );
    expect((await w.ok<{ name: string }>({ method: 'GET', url: '/api/forms/a-signup' }, w.aAuth)).name).toBe('News');
    const tags = await w.ok<{ tags: { tag: string; ttlSeconds: number }[] }>(
      { method: 'GET', url: '/api/tags' },
      w.aAuth,
    );
    expect(tags.tags.find((x) => x.tag === 'vip')?.ttlSeconds).toBe(3600);
    expect(await w.ok({ method: 'GET', url: '/api/settings/contact-rules' }, w.aAuth)).toEqual({
      requireConsent: true,
    });
    expect(await w.ok({ method: 'GET', url: '/api/settings/contact-rules' }, w.bAuth)).toEqual({});
    const credentials = await w.ok<{ credentials: { id: string; name: string }[] }>(
      { method: 'GET', url: '/api/credentials' },
      w.aAuth,
    );
    expect(credentials.credentials.find((c) => c.id === w.a.credential)?.name).toBe('smtp');
    expect(
      await w.ok<{ status: string }>({ method: 'GET', url: `/api/leads?contactId=${w.a.contact}` }, w.aAuth),
    ).toMatchObject({
      leads: [{ id: w.a.lead, status: 'open' }],
    });
    expect((await w.call({ method: 'GET', url: `/api/messages/${w.a.message}` }, w.aAuth)).statusCode).toBe(200);
    expect((await w.call({ method: 'GET', url: `/api/runs/${w.a.run}` }, w.aAuth)).statusCode).toBe(200);
  });
});
