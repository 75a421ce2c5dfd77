import type { FastifyInstance } from 'fastify';
import { messageOfToken, recordClick, recordOpen, unsubscribe } from '../../engine/messages/tracking.js';
import { sendError } from '../plugins/errors.js';
import { errorSchema } from '../schemas/errors.js';

// The smallest transparent GIF.
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

const tokenParams = { type: 'object', properties: { token: { type: 'string' } }, required: ['token'] } as const;
type TokenParams = { Params: { token: string } };

const notFound = { 404: errorSchema, 503: errorSchema };

const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
  `<title>${title}</title></head><body style="font-family:sans-serif;max-width:32em;margin:4em auto">${body}</body></html>`;

/** Click and open tracking and the unsubscribe page: no token, authenticated by signed tokens. */
export async function trackingRoutes(app: FastifyInstance) {
  const { db, secretKey, logger } = app.runtime;
  const log = logger.child({ part: 'tracking' });

  // One-click unsubscribes post `List-Unsubscribe=One-Click` form-encoded, or anything at all.
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) =>
    done(null, body),
  );

  app.get<TokenParams>(
    '/t/c/:token',
    {
      schema: {
        tags: ['tracking'],
        security: [],
        params: tokenParams,
        response: { 302: { type: 'null' }, ...notFound },
      },
    },
    async (request, reply) => {
      const url = await recordClick(db, secretKey, request.params.token, log);
      if (!url) return sendError(reply, 'not_found', 'unknown link');
      return reply.code(302).header('location', url).header('cache-control', 'no-store').send();
    },
  );

  app.get<TokenParams>(
    '/t/o/:token',
    { schema: { tags: ['tracking'], security: [], params: tokenParams, response: { 200: {}, ...notFound } } },
    async (request, reply) => {
      if (!(await recordOpen(db, secretKey, request.params.token, log)))
        return sendError(reply, 'not_found', 'unknown pixel');
      return reply.code(200).type('image/gif').header('cache-control', 'no-store').send(PIXEL);
    },
  );

  app.get<TokenParams>(
    '/unsubscribe/:token',
    { schema: { tags: ['tracking'], security: [], params: tokenParams, response: { 200: {}, ...notFound } } },
    async (request, reply) => {
      if (!(await messageOfToken(db, secretKey, 'u', request.params.token)))
        return sendError(reply, 'not_found', 'unknown unsubscribe link');
      const html = page(
        'Unsubscribe',
        `<h1>Unsubscribe</h1><p>Stop receiving marketing email from us?</p>` +
          `<form method="post"><button type="submit" name="List-Unsubscribe" value="One-Click">Unsubscribe</button></form>`,
      );
      return reply.type('text/html; charset=utf-8').send(html);
    },
  );

  app.post<TokenParams>(
    '/unsubscribe/:token',
    { schema: { tags: ['tracking'], security: [], params: tokenParams, response: { 200: {}, ...notFound } } },
    async (request, reply) => {
      if (!(await unsubscribe(db, secretKey, request.params.token)))
        return sendError(reply, 'not_found', 'unknown unsubscribe link');
      return reply
        .type('text/html; charset=utf-8')
        .send(
          page('Unsubscribed', '<h1>You are unsubscribed</h1><p>You will get no more marketing email from us.</p>'),
        );
    },
  );
}
