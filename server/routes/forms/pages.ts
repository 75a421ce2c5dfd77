import { NotFoundError, ValidationError } from '@waymark/sdk';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { confirmSubscription } from '../../../engine/forms/confirm.js';
import type { FormDefinition } from '../../../engine/forms/definition.js';
import { publicForm } from '../../../engine/forms/store.js';
import { submitForm } from '../../../engine/forms/submit.js';
import { embedScript } from '../../forms/embed.js';
import { confirmedPage, formPage, notFoundPage, thanksPage } from '../../forms/html.js';
import { errorResponse } from '../../schemas/errors.js';

/** contracts/content.md: a submission is at most 64 KiB. */
const FORM_BODY_LIMIT = 64 * 1024;

const idParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;
type IdParams = { Params: { id: string } };
// These routes read the database whatever the health watch says: its failure answers 503.
const unavailable = { 503: errorResponse(503) };
// No type: a schema for the document that takes any body, so submitForm's answers stand.
const FORM_VALUES = {
  description: 'values by field name; `_consent` ticked (true, "on", "yes" or "1"); `_hp` the honeypot, empty',
} as const;
const html = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });
const accepted = {
  type: 'object',
  properties: {
    received: { type: 'boolean' },
    confirmationRequired: { type: 'boolean' },
    redirect: { type: ['string', 'null'] },
  },
  required: ['received', 'confirmationRequired', 'redirect'],
} as const;

/** JSON for JSON posts, the page for form posts. */
function jsonOrPage(status: number, page: string) {
  const { description, ...schema } = errorResponse(status);
  return {
    description: `${description}; a form post gets ${page}`,
    content: { 'application/json': { schema }, 'text/html': { schema: { type: 'string' } } },
  };
}

/**
 * A form post's keys and values; a key given more than once keeps all its values as a list,
 * which the field then refuses as a JSON list is refused, rather than keeping the last.
 */
function formFields(body: string): Record<string, string | string[]> {
  const values = new Map<string, string[]>();
  for (const [key, value] of new URLSearchParams(body)) values.set(key, [...(values.get(key) ?? []), value]);
  return Object.fromEntries([...values].map(([key, list]) => [key, list.length === 1 ? (list[0] as string) : list]));
}

const visitorOf = (request: FastifyRequest) => ({
  ip: request.ip,
  userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
});
const isJson = (request: FastifyRequest) => /json/i.test(String(request.headers['content-type'] ?? ''));
const allowAnyOrigin = async (_request: FastifyRequest, reply: FastifyReply) => {
  reply.header('access-control-allow-origin', '*');
};

/**
 * A page holding the form (the hosted page, or it again after a refused post), its CSP letting
 * the post lead on to the form's redirect: without that, the browser blocks the next post.
 */
function sendFormPage(reply: FastifyReply, form: FormDefinition, page: string) {
  const csp = reply.getHeader('content-security-policy');
  if (form.redirect && typeof csp === 'string')
    reply.header(
      'content-security-policy',
      csp.replace("form-action 'self'", `form-action 'self' ${new URL(form.redirect).origin}`),
    );
  return reply.type('text/html; charset=utf-8').send(page);
}

/**
 * The public side of forms (no token; 600 requests a minute per address): the hosted page,
 * the embed script, submissions with their honeypot, and double opt-in confirmation links.
 * A form id or token holding text no id or token has (a NUL) names no form or link: 404 like
 * any unknown one, not a 400 naming the path parameter (route config `signedParams`).
 */
export async function formPagesRoutes(app: FastifyInstance) {
  const { runtime } = app;
  const { db, config } = runtime;
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT },
    (_request, body, done) => done(null, formFields(body as string)),
  );
  // A form's id names its workspace: submissions land there.
  const enabledForm = async (id: string) => {
    const found = await publicForm(db, id, config.publicUrl);
    return found?.form.enabled ? found : null;
  };

  const tokenParams = { type: 'object', properties: { token: { type: 'string' } }, required: ['token'] } as const;
  // Link scanners check a link with HEAD: fastify's automatic HEAD would run the GET and confirm.
  app.head(
    '/f/confirm/:token',
    {
      schema: {
        tags: ['forms'],
        security: [],
        summary: 'Refused (405, Allow: GET): a HEAD of a confirmation link confirms nothing',
        params: tokenParams,
        response: { 405: { description: 'only GET confirms', type: 'null' } },
      },
      // A HEAD route of its own, unlike fastify's copies of GET routes: in the document.
      config: { swagger: { exposeHeadRoute: true } },
    },
    async (_request, reply) => reply.code(405).header('allow', 'GET').send(),
  );

  app.get<{ Params: { token: string } }>(
    '/f/confirm/:token',
    {
      exposeHeadRoute: false,
      schema: {
        tags: ['forms'],
        security: [],
        summary:
          'Confirms a double opt-in: consent becomes subscribed, form.submitted and consent.confirmed are recorded',
        params: tokenParams,
        response: {
          200: html('the confirmation page'),
          404: html('an unknown, altered or expired link'),
          ...unavailable,
        },
      },
      config: { signedParams: true },
    },
    async (request, reply) => {
      const ok = await confirmSubscription(runtime, request.params.token, visitorOf(request));
      return reply
        .code(ok ? 200 : 404)
        .type('text/html; charset=utf-8')
        .send(ok ? confirmedPage() : notFoundPage());
    },
  );

  app.get<IdParams>(
    '/f/:id',
    {
      schema: {
        tags: ['forms'],
        security: [],
        summary: 'The hosted form page (no script)',
        params: idParams,
        response: { 200: html('the form'), 404: html('an unknown or disabled form'), ...unavailable },
      },
      config: { signedParams: true },
    },
    async (request, reply) => {
      const form = (await enabledForm(request.params.id))?.form;
      if (!form) return reply.code(404).type('text/html; charset=utf-8').send(notFoundPage());
      return sendFormPage(reply, form, formPage(form));
    },
  );

  app.get<IdParams>(
    '/f/:id/embed.js',
    {
      schema: {
        tags: ['forms'],
        security: [],
        summary: 'A script that draws the form where its tag stands, for third-party pages',
        params: idParams,
        response: {
          200: { description: 'the script', content: { 'text/javascript': { schema: { type: 'string' } } } },
          404: errorResponse(404),
          ...unavailable,
        },
      },
      config: { signedParams: true },
    },
    async (request, reply) => {
      const form = (await enabledForm(request.params.id))?.form;
      if (!form) throw new NotFoundError(`no form ${request.params.id}`);
      return reply
        .type('text/javascript; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(embedScript(form, config.publicUrl));
    },
  );

  app.options<IdParams>(
    '/f/:id',
    {
      schema: {
        tags: ['forms'],
        security: [],
        summary: 'The CORS preflight of a JSON submission from another origin: any origin may POST',
        params: idParams,
        response: {
          204: {
            type: 'null',
            description: 'the submission may be sent',
            headers: {
              'Access-Control-Allow-Origin': { type: 'string', const: '*' },
              'Access-Control-Allow-Methods': { type: 'string' },
              'Access-Control-Allow-Headers': { type: 'string' },
              'Access-Control-Max-Age': { type: 'integer' },
            },
          },
          // A body sent along that is neither a form post nor JSON: fastify has no parser for it.
          415: errorResponse(415),
        },
      },
      config: { signedParams: true },
    },
    async (_request, reply) =>
      reply
        .code(204)
        .header('access-control-allow-origin', '*')
        .header('access-control-allow-methods', 'POST')
        .header('access-control-allow-headers', 'content-type')
        .header('access-control-max-age', '600')
        .send(),
  );

  app.post<IdParams & { Body: Record<string, unknown> | undefined }>(
    '/f/:id',
    {
      bodyLimit: FORM_BODY_LIMIT,
      onRequest: allowAnyOrigin,
      schema: {
        tags: ['forms'],
        security: [],
        summary:
          'A submission (form post or JSON from any origin); a filled honeypot is answered as a success and stores nothing',
        consumes: ['application/x-www-form-urlencoded', 'application/json'],
        // For the document only: submitForm checks the values, naming each field it refuses.
        body: {
          content: {
            'application/x-www-form-urlencoded': { schema: FORM_VALUES },
            'application/json': { schema: FORM_VALUES },
          },
        },
        params: idParams,
        response: {
          200: html('the thank-you page'),
          202: accepted,
          303: { type: 'null', description: 'to the form’s redirect', headers: { Location: { type: 'string' } } },
          400: jsonOrPage(400, 'the form again with each problem at its field'),
          404: jsonOrPage(404, 'a not-found page'),
          // Neither a form post nor JSON: fastify has no parser for it.
          415: errorResponse(415),
          ...unavailable,
        },
      },
      config: { signedParams: true },
    },
    async (request, reply) => {
      const found = await enabledForm(request.params.id);
      const form = found?.form;
      const json = isJson(request);
      if (!form) {
        if (json) throw new NotFoundError(`no form ${request.params.id}`);
        return reply.code(404).type('text/html; charset=utf-8').send(notFoundPage());
      }
      const body = request.body && typeof request.body === 'object' ? request.body : {};
      const honeypot = body._hp;
      if (!(typeof honeypot === 'string' ? honeypot === '' : honeypot === undefined || honeypot === null)) {
        // A bot: answered exactly as a success, and nothing is stored or sent.
      } else if (json) await submitForm(runtime, found.workspaceId, form, body, visitorOf(request));
      else {
        try {
          await submitForm(runtime, found.workspaceId, form, body, visitorOf(request));
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          return sendFormPage(reply.code(400), form, formPage(form, body, error.details));
        }
      }
      if (json)
        return reply
          .code(202)
          .send({ received: true, confirmationRequired: form.doubleOptIn, redirect: form.redirect });
      // The URL as parsed: a header takes no character beyond Latin-1, so those go percent-encoded.
      if (form.redirect) return reply.code(303).header('location', new URL(form.redirect).href).send();
      return reply.type('text/html; charset=utf-8').send(thanksPage(form.doubleOptIn));
    },
  );
}
