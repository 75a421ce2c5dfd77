/**
 * Which audit action each state-changing route records (teams.md "Audit log"); null: none. A
 * fourth column is the one status the action is recorded for: other successes changed nothing.
 */
const ACTIONS: [method: string, url: string, action: string | null, onlyStatus?: number][] = [
  ['POST', '/api/events', null],
  ['POST', '/api/live/ticket', null],
  ['POST', '/api/auth/sign-in', null],
  ['POST', '/api/auth/sign-out', null],
  ['POST', '/api/journeys/:id/validate', null],
  ['POST', '/api/auth/password-reset', null],
  ['POST', '/api/journeys', 'journey.created'],
  ['PATCH', '/api/journeys/:id', 'journey.updated'],
  ['PUT', '/api/journeys/:id/draft', 'journey.draft_saved'],
  ['POST', '/api/journeys/:id/publish', 'journey.published'],
  ['POST', '/api/journeys/:id/pause', 'journey.paused'],
  ['POST', '/api/journeys/:id/resume', 'journey.resumed'],
  ['DELETE', '/api/journeys/:id', 'journey.archived'],
  ['POST', '/api/journeys/:id/test', null],
  // A preview stores and sends nothing; a test send mails someone, which an admin should see.
  ['POST', '/api/templates/:id/preview', null],
  ['POST', '/api/templates/:id/send-test', 'template.test_sent'],
  ['POST', '/api/runs/:id/cancel', 'run.cancelled'],
  // Retries and winners act on live contacts, as publishing does: they are named for what
  // they did, never `journey.created` as a POST under a journey would read by default.
  ['POST', '/api/runs/:id/retry', 'run.retried'],
  // 202 made a retry job; 200 is a dry run or a filter that matched nothing.
  ['POST', '/api/journeys/:id/retry', 'journey.retry_started', 202],
  ['POST', '/api/journeys/:id/retry/:jobId/cancel', 'journey.retry_cancelled'],
  ['POST', '/api/journeys/:id/nodes/:nodeId/winner', 'journey.winner_picked'],
  ['DELETE', '/api/journeys/:id/nodes/:nodeId/winner', 'journey.winner_cleared'],
  ['POST', '/api/contacts', 'contact.created'],
  ['POST', '/api/contacts/import', 'contacts.imported'],
  ['DELETE', '/api/contacts/:id', 'contact.erased'],
  ['GET', '/api/contacts/:id/export', 'contact.exported'],
  ['POST', '/api/contacts/:id/merge', 'contact.merged'],
  ['POST', '/api/contacts/:id/unmerge', 'contact.unmerged'],
  // Deletes data by the settings; the settings themselves do not change.
  ['POST', '/api/settings/retention/enforce', 'retention.enforced'],
  ['POST', '/api/credentials', 'credential.created'],
  ['PUT', '/api/credentials/:id', 'credential.updated'],
  ['DELETE', '/api/credentials/:id', 'credential.deleted'],
  ['POST', '/api/tokens', 'token.created'],
  ['DELETE', '/api/tokens/:id', 'token.revoked'],
  ['POST', '/api/workspaces', 'workspace.created'],
  ['PATCH', '/api/workspaces/:id', 'workspace.updated'],
  ['POST', '/api/workspaces/:id/invitations', 'member.invited'],
  ['DELETE', '/api/workspaces/:id/invitations/:invitationId', 'invitation.revoked'],
  ['PATCH', '/api/workspaces/:id/members/:userId', 'member.role_changed'],
  ['DELETE', '/api/workspaces/:id/members/:userId', 'member.removed'],
  ['POST', '/api/invitations/:token/accept', 'member.joined'],
  ['POST', '/api/auth/setup', 'member.joined'],
  ['POST', '/api/auth/password', 'user.password_changed'],
  ['POST', '/api/auth/password-reset/confirm', 'user.password_reset'],
  ['POST', '/api/packages', 'package.installed'],
  ['DELETE', '/api/packages/:name/:version', 'package.removed'],
  ['DELETE', '/api/packages/:scope/:pkg/:version', 'package.removed'],
];

const SINGULAR: Record<string, string> = {
  contacts: 'contact',
  journeys: 'journey',
  credentials: 'credential',
  settings: 'settings',
  tags: 'tag',
  lists: 'list',
  leads: 'lead',
  messages: 'message',
  runs: 'run',
  templates: 'template',
  forms: 'form',
  snippets: 'snippet',
  'computed-attributes': 'computed_attribute',
};

const VERBS: Record<string, string> = { POST: 'created', PUT: 'updated', PATCH: 'updated', DELETE: 'deleted' };

/**
 * The action a successful request to a route records, or null. A state-changing /api route
 * not in the table still records: changes under a contact are `contact.updated`, settings
 * `settings.updated`, anything else `<resource>.<verb>`. A PUT that answers 201 made its
 * object, so it records `<resource>.created`.
 */
export function auditAction(method: string, url: string, status = 200): string | null {
  const action = routeAction(method, url, status);
  return method === 'PUT' && status === 201 && action?.endsWith('.updated')
    ? `${action.slice(0, -'.updated'.length)}.created`
    : action;
}

function routeAction(method: string, url: string, status: number): string | null {
  const listed = ACTIONS.find(([m, u]) => m === method && u === url);
  if (listed) return listed[3] === undefined || listed[3] === status ? listed[2] : null;
  if (!url.startsWith('/api/') || method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return null;
  const resource = url.split('/')[2] ?? 'object';
  if (resource === 'contacts' && url.startsWith('/api/contacts/:id/')) return 'contact.updated';
  if (resource === 'settings') return 'settings.updated';
  return `${SINGULAR[resource] ?? resource}.${VERBS[method] ?? 'changed'}`;
}
