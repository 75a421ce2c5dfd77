import type { FastifyInstance } from 'fastify';
import { receiveMail } from '../../../engine/inbound/receive.js';
import { INBOUND_MAX_BYTES } from '../../../engine/inbound/smtp-listener.js';
import { authenticWebhook } from '../../../engine/runs/webhook/webhook.js';
import { unsupportedMediaType } from '../../plugins/bodies.js';
import { sendError } from '../../plugins/errors.js';
import { errorResponses } from '../../schemas/errors.js';

const answerSchema = {
  type: 'object',
  description: 'what became of the mail; unmatched and ignored mail is logged and counted, never retried',
  properties: {
    outcome: { type: 'string', enum: ['replied', 'auto-replied', 'bounced', 'unmatched', 'ignored'] },
    messageId: { type: 'string', format: 'uuid', description: 'the email it answers or reports on' },
    eventId: { type: ['string', 'null'], description: 'the event recorded on the contact' },
    reason: { type: 'string', description: 'why nothing was recorded' },
  },
  required: ['outcome'],
} as const;

/**
 * `POST /hooks/inbound-email`: raw MIME (`message/rfc822`, at most 10 MiB) from a provider's
 * inbound-parse webhook, authenticated by `X-Waymark-Secret: <INBOUND_SECRET>`.
 */
export async function inboundRoutes(app: FastifyInstance) {
  const { runtime } = app;
  app.addContentTypeParser('message/rfc822', { parseAs: 'buffer', bodyLimit: INBOUND_MAX_BYTES }, (_req, body, done) =>
    done(null, body),
  );

  app.post(
    '/hooks/inbound-email',
    {
      bodyLimit: INBOUND_MAX_BYTES,
      schema: {
        tags: ['webhooks'],
        security: [],
        summary: 'Take an inbound email (a reply, an automatic answer or a delivery report) as raw MIME',
        consumes: ['message/rfc822'],
        // For the document only: a schema without a type takes the raw bytes as they are.
        body: { content: { 'message/rfc822': { schema: { description: 'the email as raw MIME' } } } },
        headers: {
          type: 'object',
          properties: { 'x-waymark-secret': { type: 'string', description: 'INBOUND_SECRET' } },
        },
        response: { 202: answerSchema, ...errorResponses(400, 413, 415) },
      },
      // The secret is checked before a body of up to 10 MiB is read, held to the address's
      // failed-authentication limit also when guesses come all at once.
      onRequest: async (request, reply) => {
        const given = request.headers['x-waymark-secret'];
        const secret = runtime.config.inboundSecret;
        const authentic = await app.checkHookSecret(
          request,
          () =>
            !!secret && authenticWebhook(secret, { secret: Array.isArray(given) ? given[0] : given }, Buffer.alloc(0)),
          (ok) => !ok,
        );
        if (!authentic)
          return sendError(
            reply,
            'unauthorized',
            secret ? 'a valid X-Waymark-Secret is required' : 'inbound email is off: INBOUND_SECRET is not set',
          );
      },
    },
    async (request, reply) => {
      const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
      if (type !== 'message/rfc822') throw unsupportedMediaType(request);
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const result = await receiveMail(runtime, raw, { via: 'webhook' });
      return reply.code(202).send(result);
    },
  );
}
