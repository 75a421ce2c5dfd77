import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestApp } from '../../support/runtime.js';
import { installTarball } from '../journeys.js';
import { pack, writePackage } from '../support.js';

/**
 * Installs a package (prefix `acme`) whose nodes are `nodes`, JavaScript source of a list of
 * `defineNode(...)` values, with `preamble` before them and the credential type `acme.shop`
 * (`{ secret }`, secret); throws unless it is installed.
 */
export async function installTriggers(t: TestApp, name: string, nodes: string, preamble = ''): Promise<void> {
  const res = await installTriggersAnswer(t, name, nodes, preamble);
  if (res.statusCode !== 201) throw new Error(`not installed: ${res.body}`);
}

/** `installTriggers`' answer, whatever it is; `prefix` is the credential type's (default `acme`). */
export async function installTriggersAnswer(t: TestApp, name: string, nodes: string, preamble = '', prefix = 'acme') {
  const dir = writePackage({ name, version: '1.0.0' });
  writeFileSync(
    path.join(dir, 'index.mjs'),
    `import { defineNode, definePackage, refuse } from '@waymark/sdk';
${preamble}
const shop = { type: '${prefix}.shop', title: 'Acme shop', schema: { type: 'object', properties: { secret: { type: 'string', writeOnly: true } }, required: ['secret'] } };
export default definePackage({ name: '${name}', version: '1.0.0', nodes: ${nodes}, credentials: [shop] });
`,
  );
  return installTarball(t, await pack(dir));
}

/** A credential of type `acme.shop` with `secret`; returns its id. */
export async function shopCredential(t: TestApp, secret: string): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/credentials',
    headers: t.auth,
    payload: { name: `shop ${secret}`, type: 'acme.shop', data: { secret } },
  });
  if (res.statusCode !== 201) throw new Error(`no credential: ${res.body}`);
  return res.json().id as string;
}

/**
 * A package's polling trigger `acme.new-row`, polled every minute: one item per row of the sheet
 * at its `url` (`{ rows: [{ id, email }] }`), bound to the row's email.
 */
export const EVERY_MINUTE = `[defineNode({
  type: 'acme.new-row', version: 1, kind: 'trigger', title: 'New row', description: 'A new row in an Acme sheet',
  category: 'Acme', outputs: ['out'],
  params: { type: 'object', properties: { url: { type: 'string' } }, required: ['url'] },
  async run() { return { next: 'out' }; },
  poll: {
    every: 'PT1M',
    async run(ctx) {
      const res = await ctx.http.request({ method: 'GET', url: ctx.params.url });
      return { items: res.body.rows.map((row) => ({ key: row.id, payload: { row }, contact: { email: row.email } })) };
    },
  },
})]`;

/** The graph of a trigger journey: `trigger` (of `type`, with `params`) → `done` (core.exit). */
function triggerGraph(type: string, params: Record<string, unknown>) {
  const nodes = [
    { id: 'trigger', type, version: 1, params, position: { x: 0, y: 0 } },
    { id: 'done', type: 'core.exit', version: 1, params: {}, position: { x: 0, y: 100 } },
  ];
  return { nodes, edges: [{ id: 'e0', source: 'trigger', sourceHandle: 'out', target: 'done' }] };
}

/** Publishes a trigger journey again with its trigger's params `params`; throws unless it is published. */
export async function republishTrigger(
  t: TestApp,
  journeyId: string,
  type: string,
  params: Record<string, unknown>,
): Promise<void> {
  const url = `/api/journeys/${journeyId}`;
  const saved = await t.app.inject({
    method: 'PUT',
    url: `${url}/draft`,
    headers: t.auth,
    payload: { graph: triggerGraph(type, params) },
  });
  if (saved.statusCode !== 200) throw new Error(`draft not saved: ${saved.body}`);
  const published = await t.app.inject({ method: 'POST', url: `${url}/publish`, headers: t.auth });
  if (published.statusCode !== 201) throw new Error(`publish failed: ${published.body}`);
}

/** A journey `trigger` (of `type`, with `params`) → `done` (core.exit), published; returns its id. */
export async function triggerJourney(
  t: TestApp,
  type: string,
  params: Record<string, unknown>,
  settings: Record<string, unknown> = {},
): Promise<string> {
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/journeys',
    headers: t.auth,
    payload: { name: `${type} journey`, graph: triggerGraph(type, params), settings },
  });
  if (created.statusCode !== 201) throw new Error(`journey not created: ${created.body}`);
  const id = created.json().id as string;
  const published = await t.app.inject({ method: 'POST', url: `/api/journeys/${id}/publish`, headers: t.auth });
  if (published.statusCode !== 201) throw new Error(`publish failed: ${published.body}`);
  return id;
}

/** The journey's runs: their contact's email and their trigger payload, oldest first. */
export async function runsOf(t: TestApp, journeyId: string) {
  const rows = await t.runtime.db
    .selectFrom('runs')
    .leftJoin('contacts', 'contacts.id', 'runs.contact_id')
    .select(['runs.id', 'contacts.email', 'runs.trigger'])
    .where('runs.journey_id', '=', journeyId)
    .orderBy('runs.started_at')
    .execute();
  return rows;
}
