import { describe, expect, test } from 'vitest';
import { e, eventually, n } from '../../engine/support.js';
import { SECRET, template, useTwoWorkspaces } from '../../teams/two-workspaces.js';

// contracts/teams.md "Workspaces": an id of another workspace is as an unknown id, and an
// unknown template id on PUT makes the template. So workspace B may have a `welcome` of its own
// beside A's: each workspace's routes, forms and journeys find its own and never the other's.
const w = useTwoWorkspaces();
const welcome = '/api/templates/welcome';
const ofB = { name: 'B welcome', format: 'html', subject: 'Hello from B', body: '<p>B body</p>' };

type Stored = { subject: string; name: string; version: number; versions: { version: number }[] };

describe('two workspaces with a template of the same id', () => {
  test('B puts a template with the id of A’s: 201, B’s own; A’s is unchanged', async () => {
    await w.ok({ method: 'PUT', url: welcome, payload: { ...template, subject: 'A v1' } }, w.aAuth);
    await w.ok({ method: 'PUT', url: welcome, payload: { ...template, subject: 'A v2' } }, w.aAuth);
    const aBefore = await w.ok<Stored>({ method: 'GET', url: welcome }, w.aAuth);

    const made = await w.call({ method: 'PUT', url: welcome, payload: ofB }, w.bAuth);
    expect(made.statusCode, made.body).toBe(201);
    expect(made.json()).toMatchObject({
      id: 'welcome',
      version: 1,
      subject: 'Hello from B',
      versions: [{ version: 1 }],
    });

    expect(await w.ok<Stored>({ method: 'GET', url: welcome }, w.aAuth)).toEqual(aBefore);
    expect(aBefore).toMatchObject({ subject: 'A v2', version: 2, versions: [{ version: 1 }, { version: 2 }] });
  });

  test('each workspace’s new versions number its own template’s', async () => {
    const saved = await w.ok<Stored>({ method: 'PUT', url: welcome, payload: { ...ofB, subject: 'B v2' } }, w.bAuth);
    expect(saved.versions.map((v) => v.version)).toEqual([1, 2]);
    expect((await w.ok<Stored>({ method: 'GET', url: welcome }, w.aAuth)).subject).toBe('A v2');
    const again = await w.ok<Stored>({ method: 'PUT', url: welcome, payload: { ...ofB, subject: 'B v3' } }, w.bAuth);
    expect(again.version).toBe(3);
    await w.ok({ method: 'PUT', url: welcome, payload: { ...ofB, subject: 'B v2' } }, w.bAuth);
    expect((await w.ok<Stored>({ method: 'GET', url: welcome }, w.aAuth)).version).toBe(2);
  });

  test('GET, list and versions in B show B’s content only', async () => {
    expect((await w.ok<Stored>({ method: 'GET', url: welcome }, w.bAuth)).name).toBe('B welcome');
    const listed = await w.ok<{ templates: { id: string; name: string }[] }>(
      { method: 'GET', url: '/api/templates' },
      w.bAuth,
    );
    expect(listed.templates.filter((x) => x.id === 'welcome')).toEqual([
      expect.objectContaining({ name: 'B welcome', version: 4 }),
    ]);
    const v1 = await w.ok<{ subject: string }>({ method: 'GET', url: `${welcome}/versions/1` }, w.bAuth);
    expect(v1.subject).toBe('Hello from B');
    const aV1 = await w.ok<{ subject: string }>({ method: 'GET', url: `${welcome}/versions/1` }, w.aAuth);
    expect(aV1.subject).toBe('A v1');
    // A's template has no version 4; B's does: each workspace asks its own.
    expect((await w.call({ method: 'GET', url: `${welcome}/versions/4` }, w.aAuth)).statusCode).toBe(404);
  });

  test('preview and send-test in B render B’s template', async () => {
    const preview = await w.ok<{ subject: string; html: string }>(
      { method: 'POST', url: `${welcome}/preview`, payload: {} },
      w.bAuth,
    );
    expect(preview.subject).toBe('B v2');
    expect(preview.html).toContain('B body');
    const sent = await w.ok<{ subject: string }>(
      { method: 'POST', url: `${welcome}/send-test`, payload: { to: 'qa@example.com', from: 'b@example.com' } },
      w.bAuth,
    );
    expect(sent.subject).toContain('B v2');
  });

  test('a journey of B sending template `welcome` sends B’s', async () => {
    const graph = {
      nodes: [
        n('hook', 'core.webhook', { secret: SECRET }),
        n('mail', 'email.send', { from: 'b@example.com', category: 'transactional', template: 'welcome' }),
      ],
      edges: [e('hook', 'mail')],
    };
    const { id } = await w.ok<{ id: string }>(
      { method: 'POST', url: '/api/journeys', payload: { name: 'B sends welcome', graph } },
      w.bAuth,
    );
    await w.ok({ method: 'POST', url: `/api/journeys/${id}/publish` }, w.bAuth);
    const hook = await w.t.app.inject({
      method: 'POST',
      url: `/hooks/${id}/hook`,
      headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'reader@example.com' }),
    });
    const runId = hook.json().runId as string;
    const message = await eventually(() =>
      w.t.runtime.db.selectFrom('messages').selectAll().where('run_id', '=', runId).executeTakeFirst(),
    );
    expect(message.subject).toBe('B v2');
    expect(message.html).toContain('B body');
    expect(message.workspace_id).toBe(w.B);
  });

  test('A deletes its `welcome` while B’s form and journey name B’s', async () => {
    const form = {
      name: 'B news',
      fields: [{ name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' }],
      doubleOptIn: true,
      consentText: 'Yes',
      confirmationFrom: 'b@example.com',
      confirmationTemplateId: 'welcome',
    };
    expect((await w.call({ method: 'PUT', url: '/api/forms/b-news', payload: form }, w.bAuth)).statusCode).toBe(201);
    // A's `welcome` is named by nothing of A's: B's form and journey name B's own.
    expect((await w.call({ method: 'DELETE', url: welcome }, w.aAuth)).statusCode).toBe(204);
    expect((await w.call({ method: 'GET', url: welcome }, w.aAuth)).statusCode).toBe(404);
    expect((await w.ok<Stored>({ method: 'GET', url: welcome }, w.bAuth)).subject).toBe('B v2');
  });

  test('B cannot delete its `welcome` while its form and journey name it, and deleting it leaves A’s', async () => {
    await w.ok({ method: 'PUT', url: welcome, payload: { ...template, subject: 'A again' } }, w.aAuth);
    const refused = await w.call({ method: 'DELETE', url: welcome }, w.bAuth);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.details.map((d: { path: string }) => d.path)).toEqual(
      expect.arrayContaining(['/forms/b-news']),
    );
    await w.ok({ method: 'DELETE', url: '/api/forms/b-news' }, w.bAuth);
    const journeys = await w.ok<{ journeys: { id: string; name: string }[] }>(
      { method: 'GET', url: '/api/journeys' },
      w.bAuth,
    );
    const sender = journeys.journeys.find((j) => j.name === 'B sends welcome');
    await w.ok({ method: 'DELETE', url: `/api/journeys/${sender?.id}` }, w.bAuth);
    expect((await w.call({ method: 'DELETE', url: welcome }, w.bAuth)).statusCode).toBe(204);
    expect((await w.call({ method: 'GET', url: welcome }, w.bAuth)).statusCode).toBe(404);
    expect((await w.ok<Stored>({ method: 'GET', url: welcome }, w.aAuth)).subject).toBe('A again');
  });

  test('PUTs of one new id from both workspaces at once: each makes its own (201, 201)', async () => {
    const url = '/api/templates/at-once';
    const [a, b] = await Promise.all([
      w.call({ method: 'PUT', url, payload: { ...template, subject: 'A at once' } }, w.aAuth),
      w.call({ method: 'PUT', url, payload: { ...ofB, subject: 'B at once' } }, w.bAuth),
    ]);
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect((await w.ok<Stored>({ method: 'GET', url }, w.aAuth)).subject).toBe('A at once');
    expect((await w.ok<Stored>({ method: 'GET', url }, w.bAuth)).subject).toBe('B at once');
  });
});
