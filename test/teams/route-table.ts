import { pack, writePackage } from '../packages/support.js';
import { form, template } from './two-workspaces.js';

/**
 * Every route and the permission teams.md gives it, written out from the contract's table
 * (not from server/teams/access/permissions.ts, which this checks).
 */
export const ROUTES: [method: string, path: string, permission: string][] = [
  ['GET', '/api/openapi.json', 'public'],
  ['GET', '/api/nodes', 'journeys:read'],
  ['GET', '/api/packages', 'journeys:read'],
  ['GET', '/api/packages/search', 'journeys:read'],
  ['GET', '/api/packages/{name}/{version}', 'journeys:read'],
  ['GET', '/api/packages/{scope}/{pkg}/{version}', 'journeys:read'],
  ['POST', '/api/packages', 'admin'],
  ['DELETE', '/api/packages/{name}/{version}', 'admin'],
  ['DELETE', '/api/packages/{scope}/{pkg}/{version}', 'admin'],
  ['GET', '/api/journey-templates', 'journeys:read'],
  ['POST', '/api/journeys', 'journeys:write'],
  ['GET', '/api/journeys', 'journeys:read'],
  ['GET', '/api/journeys/{id}', 'journeys:read'],
  ['PATCH', '/api/journeys/{id}', 'journeys:write'],
  ['DELETE', '/api/journeys/{id}', 'journeys:publish'],
  ['PUT', '/api/journeys/{id}/draft', 'journeys:write'],
  ['POST', '/api/journeys/{id}/validate', 'journeys:write'],
  ['POST', '/api/journeys/{id}/publish', 'journeys:publish'],
  ['GET', '/api/journeys/{id}/versions/{version}', 'journeys:read'],
  ['GET', '/api/journeys/{id}/diff', 'journeys:read'],
  ['POST', '/api/journeys/{id}/pause', 'journeys:publish'],
  ['POST', '/api/journeys/{id}/resume', 'journeys:publish'],
  ['GET', '/api/journeys/{id}/stats', 'journeys:read'],
  ['GET', '/api/journeys/{id}/analytics', 'journeys:read'],
  ['GET', '/api/journeys/{id}/experiments', 'journeys:read'],
  ['POST', '/api/journeys/{id}/nodes/{nodeId}/winner', 'journeys:publish'],
  ['DELETE', '/api/journeys/{id}/nodes/{nodeId}/winner', 'journeys:publish'],
  ['POST', '/api/journeys/{id}/test', 'journeys:write'],
  ['GET', '/api/runs', 'journeys:read'],
  ['GET', '/api/runs/{id}', 'journeys:read'],
  ['POST', '/api/runs/{id}/cancel', 'journeys:publish'],
  ['POST', '/api/runs/{id}/retry', 'journeys:publish'],
  ['GET', '/api/journeys/{id}/failures', 'journeys:read'],
  ['POST', '/api/journeys/{id}/retry', 'journeys:publish'],
  ['GET', '/api/journeys/{id}/retry', 'journeys:read'],
  ['GET', '/api/journeys/{id}/retry/{jobId}', 'journeys:read'],
  ['POST', '/api/journeys/{id}/retry/{jobId}/cancel', 'journeys:publish'],
  ['POST', '/api/contacts', 'contacts:write'],
  ['GET', '/api/contacts', 'contacts:read'],
  ['POST', '/api/contacts/import', 'contacts:write'],
  ['GET', '/api/contacts/quality', 'contacts:read'],
  ['GET', '/api/contacts/{id}', 'contacts:read'],
  ['DELETE', '/api/contacts/{id}', 'contacts:write'],
  ['GET', '/api/contacts/{id}/export', 'contacts:export'],
  ['PUT', '/api/contacts/{id}/consent', 'contacts:write'],
  ['PUT', '/api/contacts/{id}/subscriptions/{category}', 'contacts:write'],
  ['POST', '/api/contacts/{id}/merge', 'contacts:write'],
  ['POST', '/api/contacts/{id}/unmerge', 'contacts:write'],
  ['GET', '/api/computed-attributes', 'contacts:read'],
  ['GET', '/api/computed-attributes/{name}', 'contacts:read'],
  ['PUT', '/api/computed-attributes/{name}', 'contacts:write'],
  ['DELETE', '/api/computed-attributes/{name}', 'contacts:write'],
  ['POST', '/api/events', 'events:write'],
  ['GET', '/api/events', 'contacts:read'],
  ['GET', '/api/tags', 'contacts:read'],
  ['PUT', '/api/tags/{tag}', 'contacts:write'],
  ['GET', '/api/lists', 'contacts:read'],
  ['POST', '/api/contacts/{id}/tags', 'contacts:write'],
  ['DELETE', '/api/contacts/{id}/tags/{tag}', 'contacts:write'],
  ['POST', '/api/contacts/{id}/lists', 'contacts:write'],
  ['DELETE', '/api/contacts/{id}/lists/{list}', 'contacts:write'],
  ['POST', '/api/credentials', 'admin'],
  ['GET', '/api/credentials', 'journeys:read'],
  ['PUT', '/api/credentials/{id}', 'admin'],
  ['GET', '/api/credentials/{id}/backlog', 'journeys:read'],
  // An addition (server/README.md "Credential types"): read as GET /api/credentials.
  ['GET', '/api/credential-types', 'journeys:read'],
  ['DELETE', '/api/credentials/{id}', 'admin'],
  ['GET', '/api/messages', 'contacts:read'],
  ['GET', '/api/messages/{id}', 'contacts:read'],
  ['GET', '/api/leads', 'contacts:read'],
  ['PATCH', '/api/leads/{id}', 'contacts:write'],
  ['GET', '/api/settings/contact-rules', 'journeys:read'],
  ['PUT', '/api/settings/contact-rules', 'admin'],
  ['GET', '/api/settings/identity', 'journeys:read'],
  ['PUT', '/api/settings/identity', 'admin'],
  ['GET', '/api/settings/attribute-sources', 'journeys:read'],
  ['PUT', '/api/settings/attribute-sources', 'admin'],
  ['GET', '/api/settings/retention', 'journeys:read'],
  ['PUT', '/api/settings/retention', 'admin'],
  ['POST', '/api/settings/retention/enforce', 'admin'],
  ['GET', '/api/settings/dkim', 'journeys:read'],
  ['GET', '/api/settings/dkim/{domain}', 'journeys:read'],
  ['GET', '/api/live', 'journeys:read'],
  ['GET', '/api/tokens', 'admin'],
  ['POST', '/api/tokens', 'admin'],
  ['DELETE', '/api/tokens/{id}', 'admin'],
  ['POST', '/api/live/ticket', 'journeys:read'],
  ['POST', '/api/auth/sign-in', 'public'],
  ['POST', '/api/auth/sign-out', 'authenticated'],
  ['POST', '/api/auth/password', 'user'],
  ['POST', '/api/auth/password-reset', 'public'],
  ['POST', '/api/auth/password-reset/confirm', 'public'],
  ['GET', '/api/auth/me', 'authenticated'],
  ['POST', '/api/auth/setup', 'public'],
  ['GET', '/api/workspaces', 'authenticated'],
  ['POST', '/api/workspaces', 'user'],
  ['GET', '/api/workspaces/{id}', 'authenticated'],
  ['PATCH', '/api/workspaces/{id}', 'owner'],
  ['GET', '/api/workspaces/{id}/members', 'admin'],
  ['PATCH', '/api/workspaces/{id}/members/{userId}', 'admin'],
  ['DELETE', '/api/workspaces/{id}/members/{userId}', 'admin'],
  ['POST', '/api/workspaces/{id}/invitations', 'admin'],
  ['GET', '/api/workspaces/{id}/invitations', 'admin'],
  ['DELETE', '/api/workspaces/{id}/invitations/{invitationId}', 'admin'],
  ['GET', '/api/invitations/{token}', 'public'],
  ['POST', '/api/invitations/{token}/accept', 'public'],
  ['GET', '/api/audit', 'admin'],
  // Templates, snippets and forms (contracts/content.md): read for GET, write otherwise.
  ['GET', '/api/templates', 'journeys:read'],
  ['GET', '/api/templates/{id}', 'journeys:read'],
  ['PUT', '/api/templates/{id}', 'journeys:write'],
  ['DELETE', '/api/templates/{id}', 'journeys:write'],
  ['GET', '/api/templates/{id}/versions/{version}', 'journeys:read'],
  ['POST', '/api/templates/{id}/preview', 'journeys:write'],
  ['POST', '/api/templates/{id}/send-test', 'journeys:write'],
  ['GET', '/api/snippets', 'journeys:read'],
  ['GET', '/api/snippets/{name}', 'journeys:read'],
  ['PUT', '/api/snippets/{name}', 'journeys:write'],
  ['DELETE', '/api/snippets/{name}', 'journeys:write'],
  ['GET', '/api/forms', 'journeys:read'],
  ['GET', '/api/forms/{id}', 'journeys:read'],
  ['PUT', '/api/forms/{id}', 'journeys:write'],
  ['DELETE', '/api/forms/{id}', 'journeys:write'],
];

/** teams.md's role table. */
export const ROLE_TABLE: Record<string, string[]> = {
  owner: [
    'journeys:read',
    'journeys:write',
    'journeys:publish',
    'contacts:read',
    'contacts:export',
    'contacts:write',
    'events:write',
    'admin',
    'owner',
  ],
  admin: [
    'journeys:read',
    'journeys:write',
    'journeys:publish',
    'contacts:read',
    'contacts:export',
    'contacts:write',
    'events:write',
    'admin',
  ],
  editor: [
    'journeys:read',
    'journeys:write',
    'journeys:publish',
    'contacts:read',
    'contacts:export',
    'contacts:write',
    'events:write',
  ],
  author: ['journeys:read', 'journeys:write', 'contacts:read'],
  viewer: ['journeys:read', 'contacts:read'],
};

// The cross-workspace walk (workspaces-routes.test.ts): what B sends to reach A's objects.

/**
 * A's object (workspace `A`, its objects `a`, test/teams/two-workspaces.ts) each path parameter
 * names, by the route's path: a new path kind needs one here.
 */
export function aObjectFor(a: Record<string, string>, A: string, path: string, param: string): string {
  if (param === 'id') {
    const kind = /^\/api\/(\w+)\//.exec(path)?.[1];
    const byKind: Record<string, string> = {
      journeys: a.journey as string,
      runs: a.run as string,
      contacts: a.contact as string,
      credentials: a.credential as string,
      messages: a.message as string,
      leads: a.lead as string,
      templates: 'a-welcome',
      forms: 'a-signup',
      tokens: a.token as string,
      workspaces: A,
    };
    const found = kind ? byKind[kind] : undefined;
    if (!found) throw new Error(`${path}: name an object of workspace A for {id} in the cross-workspace test`);
    return found;
  }
  if (param === 'name' && path.startsWith('/api/computed-attributes/')) return 'aOrders';
  const byParam: Record<string, string> = {
    name: 'a-footer',
    tag: 'vip',
    list: 'newsletter',
    category: 'newsletter',
    domain: 'a-mail.example.com',
    version: '1',
    userId: a.userId as string,
    invitationId: a.invitation as string,
    jobId: a.retryJob as string,
    nodeId: 'ab',
    scope: '@a',
    pkg: 'nodes',
  };
  const found = byParam[param];
  if (!found) throw new Error(`${path}: name an object of workspace A for {${param}} in the cross-workspace test`);
  return found;
}

/** A valid body for each route that takes one, so only the workspace can refuse it: a new route needs one here. */
export const BODIES: Record<string, unknown> = {
  'POST /api/journeys': { name: 'B journey' },
  'PATCH /api/journeys/{id}': { name: 'taken over' },
  'PUT /api/journeys/{id}/draft': { graph: { nodes: [], edges: [] } },
  'POST /api/journeys/{id}/test': {},
  'POST /api/journeys/{id}/retry': {},
  'POST /api/runs/{id}/retry': {},
  'POST /api/contacts': { email: 'b-only@example.com' },
  'PUT /api/contacts/{id}/consent': { channel: 'email', status: 'unsubscribed', source: 'admin' },
  'PUT /api/contacts/{id}/subscriptions/{category}': { status: 'unsubscribed' },
  'POST /api/contacts/{id}/tags': { tag: 'vip' },
  'POST /api/contacts/{id}/lists': { list: 'newsletter' },
  'POST /api/contacts/{id}/merge': { from: '00000000-0000-4000-8000-000000000000' },
  'POST /api/contacts/{id}/unmerge': { from: '00000000-0000-4000-8000-000000000000' },
  'POST /api/events': { email: 'b-only@example.com', name: 'visited' },
  'PUT /api/tags/{tag}': { ttlSeconds: 5 },
  'POST /api/credentials': { name: 'b', type: 'email.smtp', data: { host: 'h', port: 25, user: 'u', password: 'p' } },
  'PUT /api/credentials/{id}': { name: 'taken over' },
  'PATCH /api/leads/{id}': { status: 'won' },
  'PUT /api/settings/contact-rules': {},
  'PUT /api/settings/identity': { autoMerge: false, autoMergeOn: [] },
  'PUT /api/settings/attribute-sources': { default: ['crm'], attributes: {} },
  'PUT /api/settings/retention': { steps: 'P1Y' },
  'POST /api/tokens': { name: 'b2', scopes: ['journeys:read'] },
  'PATCH /api/workspaces/{id}': { name: 'taken over' },
  'PATCH /api/workspaces/{id}/members/{userId}': { role: 'viewer' },
  'POST /api/workspaces/{id}/invitations': { email: 'x@example.com', role: 'viewer' },
  'PUT /api/templates/{id}': { ...template, subject: 'taken over' },
  'POST /api/templates/{id}/preview': {},
  'POST /api/templates/{id}/send-test': { to: 'qa@example.com', from: 'b@example.com' },
  'PUT /api/snippets/{name}': { body: 'B footer' },
  'PUT /api/computed-attributes/{name}': { definition: { kind: 'aggregate', fn: 'count', event: 'order' } },
  'PUT /api/forms/{id}': { ...form, name: 'taken over' },
  'POST /api/journeys/{id}/nodes/{nodeId}/winner': { variant: 'x' },
};

/** Routes whose body is not JSON. */
const PACKAGE_TGZ = await pack(writePackage({ name: 'b-nodes', prefix: 'bnodes', version: '1.0.0' }));

export const RAW: Record<string, { payload: string | Buffer; headers: Record<string, string> }> = {
  'POST /api/packages': { payload: PACKAGE_TGZ, headers: { 'content-type': 'application/gzip' } },
  'POST /api/contacts/import': { payload: 'email\nimported@example.com\n', headers: { 'content-type': 'text/csv' } },
};

/** A valid query for each route that needs one. */
export const QUERIES: Record<string, string> = {
  'GET /api/journeys/{id}/diff': '?from=1&to=draft',
};

/**
 * What B hears when it names A's object. 404 everywhere, as for an unknown id; names chosen
 * by people are B's own (B gets its own template, snippet and tag lifespan); form ids are
 * unique across workspaces (a form's id is its public URL), so B cannot take A's: 409.
 */
export function expectedAcross(method: string, path: string): number {
  const key = `${method} ${path}`;
  if (['PUT /api/templates/{id}', 'PUT /api/snippets/{name}', 'PUT /api/computed-attributes/{name}'].includes(key))
    return 201;
  if (key === 'PUT /api/tags/{tag}') return 200;
  if (key === 'PUT /api/forms/{id}') return 409;
  return 404;
}
