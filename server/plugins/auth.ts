import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hashToken } from '../auth/tokens.js';
import { sendError } from './errors.js';

const PUBLIC_API = new Set(['/api/openapi.json']);
const CACHE_MS = 30_000;

/** The bearer token of a request (`?token=` too, for the websocket, which cannot set headers in browsers). */
export function requestToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const query = request.query as { token?: unknown } | undefined;
  return typeof query?.token === 'string' ? query.token : null;
}

/**
 * Every `/api/*` route needs `Authorization: Bearer <token>`; tokens are checked by hash.
 * Known hashes are cached briefly so a busy API does not hit the table on every call.
 */
export const authPlugin = fp(async (app: FastifyInstance) => {
  const known = new Map<string, number>();

  async function valid(token: string): Promise<boolean> {
    const hash = hashToken(token);
    const until = known.get(hash);
    if (until && until > Date.now()) return true;
    const row = await app.runtime.db
      .selectFrom('api_tokens')
      .select('id')
      .where('token_hash', '=', hash)
      .executeTakeFirst();
    if (row) {
      if (known.size > 1000) known.clear();
      known.set(hash, Date.now() + CACHE_MS);
    }
    return Boolean(row);
  }

  app.decorate('verifyToken', valid);
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (!path.startsWith('/api/') || PUBLIC_API.has(path)) return;
    const token = requestToken(request);
    if (!token || !(await valid(token)))
      return sendError(reply, 'unauthorized', 'a valid API token is required (Authorization: Bearer <token>)');
  });
});

declare module 'fastify' {
  interface FastifyInstance {
    verifyToken(token: string): Promise<boolean>;
  }
}
