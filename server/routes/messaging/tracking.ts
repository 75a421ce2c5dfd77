import type { FastifyInstance } from 'fastify';
import { previewTarget } from '../../../engine/content/preview-links.js';
import {
  clickTarget,
  messageOfToken,
  recordClick,
  recordOpen,
  redirectLocation,
  unsubscribe,
} from '../../../engine/messages/tracking/tracking.js';
import { sendError } from '../../plugins/errors.js';
import { errorResponse } from '../../schemas/errors.js';

// The smallest transparent GIF.
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

const tokenParams = { type: 'object', properties: { token: { type: 'string' } }, required: ['token'] } as const;
type TokenParams = { Params: { token: string } };

const notFound = { 404: errorResponse(404), 503: errorResponse(503) };
const redirect = {
  302: { type: 'null', description: 'to the link’s target', headers: { Location: { type: 'string' } } },
};
const gif = {
  200: { description: 'a 1×1 GIF', content: { 'image/gif': { schema: { type: 'string', format: 'binary' } } } },
};
const html = (description: string) => ({
  200: { description, content: { 'text/html': { schema: { type: 'string' } } } },
});

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
  `<title>${title}</title></head><body style="font-family:sans-serif;max-width:32em;margin:4em auto">${body}</body></html>`;

/** The unsubscribe page: leaving the message's category alone is offered when it has one. */
function confirmationPage(category: string | null): string {
  const all = `<form method="post"><button type="submit" name="List-Unsubscribe" value="One-Click">Unsubscribe from all marketing email</button></form>`;
  if (!category) return page('Unsubscribe', `<h1>Unsubscribe</h1><p>Stop receiving marketing email from us?</p>${all}`);
  const name = escapeHtml(category);
  return page(
    'Unsubscribe',
    `<h1>Unsubscribe</h1><p>Stop receiving <strong>${name}</strong> email from us, or all of our marketing email?</p>` +
      `<form method="post"><input type="hidden" name="scope" value="category">` +
      `<button type="submit">Unsubscribe from ${name}</button></form>${all}`,
  );
}

function unsubscribedPage(category: string | null): string {
  if (!category)
    return page('Unsubscribed', '<h1>You are unsubscribed</h1><p>You will get no more marketing email from us.</p>');
  const name = escapeHtml(category);
  return page(
    'Unsubscribed',
    `<h1>You are unsubscribed from ${name}</h1><p>You will get no more ${name} email from us; our other email still reaches you.</p>`,
  );
}

/** Click and open tracking and the unsubscribe page: no token, authenticated by signed tokens. */
export async function trackingRoutes(app: FastifyInstance) {
  const { db, keys, logger, metrics, ingestSlots, clock } = app.runtime;
  const log = logger.child({ part: 'tracking' });

  // One-click unsubscribes post `List-Unsubscribe=One-Click` form-encoded, or anything at all:
  // every body is read as text (a JSON or binary body is no reason to refuse the click).
  app.removeAllContentTypeParsers();
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
        response: { ...redirect, ...notFound },
      },
      config: { signedParams: true },
    },
    async (request, reply) => {
      // A template preview's link redirects (until it expires) and records nothing.
      const previewed = previewTarget(keys, request.params.token, clock.now().getTime());
      // A link checker's HEAD (mail scanners probe every link) is no click: it is answered as
      // the GET would be, recording nothing.
      const url = previewed
        ? redirectLocation(previewed)
        : request.method === 'HEAD'
          ? ((await clickTarget(db, keys, request.params.token))?.location ?? null)
          : await ingestSlots(() => recordClick(db, keys, request.params.token, log, metrics));
      if (!url) return sendError(reply, 'not_found', 'unknown link');
      return reply.code(302).header('location', url).header('cache-control', 'no-store').send();
    },
  );

  app.get<TokenParams>(
    '/t/o/:token',
    {
      schema: { tags: ['tracking'], security: [], params: tokenParams, response: { ...gif, ...notFound } },
      config: { signedParams: true },
    },
    async (request, reply) => {
      // As for a click, a HEAD is a check of the address, not an open.
      const known =
        request.method === 'HEAD'
          ? (await messageOfToken(db, keys, 'o', request.params.token)) !== null
          : await ingestSlots(() => recordOpen(db, keys, request.params.token, log, metrics));
      if (!known) return sendError(reply, 'not_found', 'unknown pixel');
      return reply.code(200).type('image/gif').header('cache-control', 'no-store').send(PIXEL);
    },
  );

  app.get<TokenParams>(
    '/unsubscribe/:token',
    {
      schema: {
        tags: ['tracking'],
        security: [],
        summary: 'A confirmation page; unsubscribes nothing by itself',
        params: tokenParams,
        response: { ...html('the confirmation page, with a button per choice'), ...notFound },
      },
      config: { signedParams: true },
    },
    async (request, reply) => {
      const found = await messageOfToken(db, keys, 'u', request.params.token);
      if (!found) return sendError(reply, 'not_found', 'unknown unsubscribe link');
      return reply.type('text/html; charset=utf-8').send(confirmationPage(found.message.subscription));
    },
  );

  app.post<TokenParams & { Body: string | undefined }>(
    '/unsubscribe/:token',
    {
      schema: {
        tags: ['tracking'],
        security: [],
        summary:
          'Unsubscribes from marketing email (RFC 8058 one-click), or with the form field scope=category from the message’s category alone',
        params: tokenParams,
        // For the document only: a schema without a type takes any body, read as text.
        body: {
          content: {
            'application/x-www-form-urlencoded': {
              schema: { description: 'List-Unsubscribe=One-Click (RFC 8058), or scope=category; may be empty' },
            },
          },
        },
        response: { ...html('unsubscribed'), ...notFound },
      },
      config: { signedParams: true },
    },
    async (request, reply) => {
      const form = new URLSearchParams(typeof request.body === 'string' ? request.body : '');
      const done = await ingestSlots(() =>
        unsubscribe(db, keys, request.params.token, metrics, { categoryOnly: form.get('scope') === 'category' }),
      );
      if (!done) return sendError(reply, 'not_found', 'unknown unsubscribe link');
      return reply.type('text/html; charset=utf-8').send(unsubscribedPage(done.category));
    },
  );
}
