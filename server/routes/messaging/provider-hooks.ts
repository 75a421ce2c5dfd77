import type { FastifyInstance } from 'fastify';
import { takeProviderWebhook } from '../../../engine/sending/provider-hook.js';
import { errorResponses } from '../../schemas/errors.js';

const BODY_LIMIT = 1024 * 1024;

const answerSchema = {
  type: 'object',
  description: "counts of the request's events",
  properties: {
    recorded: { type: 'integer' },
    duplicates: { type: 'integer' },
    unmatched: { type: 'integer' },
    ignored: { type: 'integer' },
  },
  required: ['recorded', 'duplicates', 'unmatched', 'ignored'],
} as const;

/**
 * `POST /hooks/providers/:provider`: a sending provider's delivery, bounce, complaint and SMS
 * status events, verified the way that provider signs (API.md "Provider event webhooks").
 */
export async function providerHooksRoutes(app: FastifyInstance) {
  const { runtime } = app;
  // Signatures cover the raw bytes: every body is read as a buffer, whatever its type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));

  app.post<{ Params: { provider: string } }>(
    '/hooks/providers/:provider',
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        tags: ['webhooks'],
        security: [],
        summary:
          'Take delivery, bounce, complaint and SMS status events from a sending provider (a Twilio incoming message is answered with TwiML)',
        params: { type: 'object', properties: { provider: { type: 'string' } }, required: ['provider'] },
        // For the document only: a schema without a type takes any body; each provider reads its own.
        body: {
          content: {
            '*/*': {
              schema: {
                description:
                  "the provider's own format: JSON (Postmark, SendGrid, Mailgun; SES's SNS message whatever its Content-Type) or a form (Twilio)",
              },
            },
          },
        },
        response: {
          200: {
            description: "counts of the request's events, or the body its provider expects instead",
            content: {
              'application/json': { schema: answerSchema },
              'text/xml': { schema: { type: 'string', description: 'TwiML, answering a Twilio incoming message' } },
            },
          },
          ...errorResponses(400, 404, 413),
        },
      },
    },
    async (request, reply) => {
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
      }
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const { tally, answer } = await takeProviderWebhook(
        runtime,
        request.params.provider,
        { url: request.url, publicUrl: `${runtime.config.publicUrl}${request.url}`, headers, rawBody },
        // Its signatures are checked held to the address's failed-authentication limit, also
        // when guesses come all at once; the events are then stored without holding it.
        (verify) => app.checkHookSecret(request, verify, (verified) => verified === null),
      );
      // The body its provider expects instead of the counts (Twilio: TwiML for an incoming message).
      if (answer) return reply.type(answer.contentType).send(answer.body);
      return tally;
    },
  );
}
