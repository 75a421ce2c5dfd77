import type { Role } from '../../../engine/db/tables/team-types.js';

/** What a route needs (teams.md "Roles, permissions and scopes"). */
export const PERMISSIONS = [
  'journeys:read',
  'journeys:write',
  'journeys:publish',
  'contacts:read',
  'contacts:export',
  'contacts:write',
  'events:write',
  'admin',
  'owner',
] as const;
export type Permission = (typeof PERMISSIONS)[number];
/** `public`: no credentials; `authenticated`: any session or token; `user`: a signed-in user. */
export type RoutePermission = Permission | 'public' | 'authenticated' | 'user';

export const ROLES: readonly Role[] = ['owner', 'admin', 'editor', 'author', 'viewer'];

const allBut = (...left: Permission[]) => PERMISSIONS.filter((p) => !left.includes(p));

/** Each role's permissions, exactly as the contract's table. */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: [...PERMISSIONS],
  admin: allBut('owner'),
  editor: allBut('admin', 'owner'),
  author: ['journeys:read', 'journeys:write', 'contacts:read'],
  viewer: ['journeys:read', 'contacts:read'],
};

/** The scopes a token may be given through the API, and what each grants. */
export const SCOPE_PERMISSIONS: Record<string, readonly Permission[]> = {
  'contacts:read': ['contacts:read', 'contacts:export'],
  'contacts:write': ['contacts:write'],
  'events:write': ['events:write'],
  'journeys:read': ['journeys:read'],
  'journeys:write': ['journeys:write'],
  'journeys:publish': ['journeys:publish'],
  admin: allBut('owner'),
};
/** The reserved scope of the environment and first-start tokens: every permission. */
export const OWNER_SCOPE = 'owner';

export function scopePermissions(scopes: readonly string[]): Set<Permission> {
  const granted = new Set<Permission>();
  for (const scope of scopes) {
    const list = scope === OWNER_SCOPE ? PERMISSIONS : (SCOPE_PERMISSIONS[scope] ?? []);
    for (const p of list) granted.add(p);
  }
  return granted;
}

type Rule = [methods: string, pattern: RegExp, permission: RoutePermission];

const ID = '[^/]+';
const r = (path: string) => new RegExp(`^${path.replaceAll(':id', ID)}$`);

/**
 * THE table: every route's permission, first match wins. The auth plugin enforces it and the
 * OpenAPI document shows it (`x-waymark-permission`); test/teams/permissions/permissions.test.ts walks
 * every route with every role against it.
 */
const RULES: Rule[] = [
  ['GET', r('/api/openapi.json'), 'public'],
  ['POST', r('/api/auth/(sign-in|setup|password-reset|password-reset/confirm)'), 'public'],
  ['GET', r('/api/invitations/:id'), 'public'],
  ['POST', r('/api/invitations/:id/accept'), 'public'],
  ['GET', r('/api/auth/me'), 'authenticated'],
  ['POST', r('/api/auth/sign-out'), 'authenticated'],
  ['GET', r('/api/workspaces(/:id)?'), 'authenticated'],
  ['POST', r('/api/workspaces'), 'user'],
  ['POST', r('/api/auth/password'), 'user'],
  ['PATCH', r('/api/workspaces/:id'), 'owner'],
  ['*', r('/api/workspaces/:id/(members|invitations)(/:id)?'), 'admin'],
  ['*', r('/api/tokens(/:id)?'), 'admin'],
  ['GET', r('/api/audit'), 'admin'],
  ['POST', r('/api/live/ticket'), 'journeys:read'],
  ['GET', r('/api/live'), 'journeys:read'],
  [
    'GET',
    r('/api/(journeys|journey-templates|runs|nodes|packages|credentials|credential-types|settings)(/.*)?'),
    'journeys:read',
  ],
  // Installed packages are code every workspace's steps run: installing and removing is an admin's.
  ['*', r('/api/packages(/.*)?'), 'admin'],
  ['*', r('/api/(credentials|settings)(/.*)?'), 'admin'],
  ['POST', r('/api/journeys/:id/(publish|pause|resume)'), 'journeys:publish'],
  ['DELETE', r('/api/journeys/:id'), 'journeys:publish'],
  ['POST', r('/api/runs/:id/(cancel|retry)'), 'journeys:publish'],
  ['POST', r('/api/journeys/:id/retry(/:id/cancel)?'), 'journeys:publish'],
  // Picking or clearing a split's winner changes where live contacts go, as publishing does.
  ['*', r('/api/journeys/:id/nodes/:id/winner'), 'journeys:publish'],
  ['*', r('/api/journeys(/.*)?'), 'journeys:write'],
  ['GET', r('/api/contacts/:id/export'), 'contacts:export'],
  ['GET', r('/api/(contacts|tags|lists|events|messages|leads|computed-attributes)(/.*)?'), 'contacts:read'],
  ['POST', r('/api/events'), 'events:write'],
  ['*', r('/api/(contacts|tags|lists|leads|messages|computed-attributes)(/.*)?'), 'contacts:write'],
  // Later routes: their resource's read permission for GET, write otherwise.
  ['GET', r('/api/(templates|forms|snippets)(/.*)?'), 'journeys:read'],
  ['*', r('/api/(templates|forms|snippets)(/.*)?'), 'journeys:write'],
];

/**
 * The permission a route needs; every route outside /api is public. Unknown /api routes need
 * `admin`. A HEAD is its GET without the body, so it needs what the GET needs (the table's
 * `*` rules, meant for writes, would otherwise catch it).
 */
export function routePermission(method: string, url: string): RoutePermission {
  if (!url.startsWith('/api/')) return 'public';
  const asked = method === 'HEAD' ? 'GET' : method;
  for (const [methods, pattern, permission] of RULES)
    if ((methods === '*' || methods === asked) && pattern.test(url)) return permission;
  return asked === 'GET' ? 'journeys:read' : 'admin';
}

/** The permissions of a role, or of a token's scopes. */
export function rolePermissions(role: Role | null): Set<Permission> {
  return new Set(role ? ROLE_PERMISSIONS[role] : []);
}
