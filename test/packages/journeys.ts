import type { TestApp } from '../support/runtime.js';

export const SECRET = 'a-webhook-secret-of-some-length';

/** A journey: webhook → (optional wait) → `<type>` → exit, created through the API. */
export async function createJourney(t: TestApp, type: string, options: { waitMs?: number; name?: string } = {}) {
  const nodes = [
    { id: 'hook', type: 'core.webhook', version: 1, params: { secret: SECRET }, position: { x: 0, y: 0 } },
    ...(options.waitMs
      ? [
          {
            id: 'wait',
            type: 'core.wait',
            version: 1,
            params: { duration: `PT${options.waitMs / 1000}S` },
            position: { x: 0, y: 50 },
          },
        ]
      : []),
    { id: 'shout', type, version: 1, params: { text: 'hello {{ trigger.name }}' }, position: { x: 0, y: 100 } },
    { id: 'done', type: 'core.exit', version: 1, params: {}, position: { x: 0, y: 200 } },
  ];
  const chain = nodes.map((n) => n.id);
  const edges = chain.slice(1).map((target, i) => ({ id: `e${i}`, source: chain[i], sourceHandle: 'out', target }));
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/journeys',
    headers: t.auth,
    payload: { name: options.name ?? 'Shouting', graph: { nodes, edges } },
  });
  if (created.statusCode !== 201) throw new Error(`journey not created: ${created.body}`);
  return created.json().id as string;
}

/** Publishes a journey through the API and returns the new version number. */
export async function publishJourney(t: TestApp, id: string): Promise<number> {
  const res = await t.app.inject({ method: 'POST', url: `/api/journeys/${id}/publish`, headers: t.auth });
  if (res.statusCode !== 201) throw new Error(`publish failed: ${res.body}`);
  return res.json().version as number;
}

/** A published journey named after `type` whose `shout` node is of that type; returns its id. */
export async function publishedJourney(t: TestApp, type: string): Promise<string> {
  const id = await createJourney(t, type, { name: type });
  await publishJourney(t, id);
  return id;
}

/** Fires the journey's webhook; returns the run id. */
export async function fire(t: TestApp, id: string, name = 'Ada'): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/hooks/${id}/hook`,
    headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
    payload: { email: `${name.toLowerCase()}@example.com`, name },
  });
  if (res.statusCode !== 202) throw new Error(`webhook refused: ${res.body}`);
  return res.json().runId as string;
}

/** Installs a tarball through the API. */
export const installTarball = (t: TestApp, tarball: Buffer, headers: Record<string, string> = t.auth) =>
  t.app.inject({
    method: 'POST',
    url: '/api/packages',
    headers: { ...headers, 'content-type': 'application/gzip' },
    payload: tarball,
  });
