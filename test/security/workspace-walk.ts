import { randomUUID } from 'node:crypto';
import { aObjectFor, BODIES, QUERIES, RAW } from '../teams/route-table.js';
import type { Auth, Call, TwoWorkspaces } from '../teams/two-workspaces.js';

/**
 * The routes of the app's own OpenAPI document, and what a walk over them sends: each path
 * parameter filled with workspace A's object (test/teams/two-workspaces.ts), each body and query
 * the one route-table.ts gives, so only the workspace or the role can refuse the call.
 */
export interface Operation {
  method: string;
  path: string;
  permission: string;
  params: string[];
}

export async function documentedOperations(w: TwoWorkspaces): Promise<Operation[]> {
  const doc = (await w.call({ method: 'GET', url: '/api/openapi.json' }, {})).json() as {
    paths: Record<string, Record<string, { 'x-waymark-permission': string }>>;
  };
  return Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      permission: op['x-waymark-permission'],
      params: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string),
    })),
  );
}

/** The call naming A's objects for `op`; with `unknown`, objects no workspace has
 * instead, filled in as made (a version, a node id and a package stay). */
export function callOnA(w: TwoWorkspaces, op: Operation, unknown?: Record<string, string>): Call {
  const key = `${op.method} ${op.path}`;
  const paramValue = (p: string) => {
    const a = aObjectFor(w.a, w.A, op.path, p);
    // Packages are the installation's, no workspace's: their names stay.
    if (!unknown || p === 'version' || p === 'nodeId' || op.path.startsWith('/api/packages/')) return a;
    unknown[p] ??= /^[0-9a-f-]{36}$/i.test(a) ? randomUUID() : `zz-unknown-${p}`;
    return unknown[p];
  };
  const url = op.params.reduce((u, p) => u.replace(`{${p}}`, paramValue(p)), op.path) + (QUERIES[key] ?? '');
  const raw = RAW[key];
  return raw ? { method: op.method, url, ...raw } : { method: op.method, url, payload: BODIES[key] };
}

/** Whether the call changes state (the role matrix and the cross-workspace walk send these). */
export const mutates = (op: Operation) => !['GET', 'HEAD', 'OPTIONS'].includes(op.method);

/**
 * Everything A's owner can read about A: each GET route of the document (the live feed aside,
 * a socket), with A's objects. Two snapshots equal: nothing of A changed. The owner token's
 * `lastUsedAt` moves as the snapshot itself uses it, a report's `generatedAt` with the clock, a
 * message's MIME boundary at each rendering of its source.
 */
export async function snapshotOfA(w: TwoWorkspaces, operations: Operation[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const op of operations) {
    if (op.method !== 'GET' || op.permission === 'public' || op.path === '/api/live') continue;
    // The node catalogue and packages are the installation's (teams.md), not A's.
    if (/^\/api\/(nodes|packages|journey-templates)(\/|$)/.test(op.path)) continue;
    // An export is itself recorded (an audit entry): the export test reads it.
    if (op.params.includes('userId') || op.params.includes('invitationId') || op.path.endsWith('/export')) continue;
    const call = callOnA(w, op);
    const res = await w.call(call, w.aAuth);
    out[`${op.method} ${call.url}`] =
      `${res.statusCode} ${res.body.replace(/"(lastUsedAt|generatedAt)":("[^"]*"|null)/g, '"$1":…').replace(/NmP-\w+-Part/g, 'NmP-…')}`;
  }
  return out;
}

/**
 * Objects of A the shared setup leaves out, made before a snapshot: a split decision (the
 * winner of A's split `ab`), so removing or replacing it shows.
 */
export async function moreOfA(w: TwoWorkspaces): Promise<void> {
  await w.ok(
    { method: 'POST', url: `/api/journeys/${w.a.journey}/nodes/ab/winner`, payload: { variant: 'y' } },
    w.aAuth,
  );
}

/** The ids of A's objects, none of which an answer to B may hold. */
export const idsOfA = (w: TwoWorkspaces): string[] =>
  Object.entries(w.a)
    .filter(([k, v]) => k !== 'userId' && v.length >= 36)
    .map(([, v]) => v);

export type { Auth };
