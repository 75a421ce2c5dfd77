import { errorResponses } from '../../schemas/errors.js';

// The OpenAPI description of `POST /hooks/:journeyId/:nodeId` (routes/runs/hooks.ts).

const answerSchema = {
  type: 'object',
  properties: {
    runId: { type: ['string', 'null'], format: 'uuid' },
    skipped: { type: 'string', enum: ['reentry', 'entry-cap'] },
  },
  required: ['runId'],
} as const;

// A package's webhook trigger (engine/sdk/README.md "Triggers"): one run id per start it asked
// for, null where re-entry or the entry cap turned it away.
const triggerAnswerSchema = {
  type: 'object',
  properties: { runIds: { type: 'array', items: { type: ['string', 'null'], format: 'uuid' } } },
  required: ['runIds'],
} as const;

/** What a call is answered with: core.webhook's `{ runId }` or a package trigger's `{ runIds }`. */
const callAnswerSchema = { anyOf: [answerSchema, triggerAnswerSchema] } as const;

// With `Prefer: wait`, the run's core.respond step answers: any status from 200 to 599, its
// own JSON body. It is sent as the step gave it (the route's serializer is not used).
const JOURNEY_ANSWER = 'with Prefer: wait, the journey’s core.respond answer: its status and JSON body';
const journeyAnswerSchema = { type: 'object', additionalProperties: true } as const;

/** A status the route answers itself, which a journey's core.respond step may answer too. */
function orJourneyAnswer(status: string, answer: { description?: string; headers?: object }) {
  const { description, headers, ...own } = answer;
  return {
    description: `${description ?? status}; or, ${JOURNEY_ANSWER} (Waymark-Run-Id and Preference-Applied headers)`,
    ...(headers ? { headers } : {}),
    anyOf: [own, journeyAnswerSchema],
  };
}

/** Every answer of the route, each admitting a journey's answer at its status; `default` for the others. */
function hookResponses(own: Record<string, { description?: string; headers?: object }>) {
  return {
    ...Object.fromEntries(Object.entries(own).map(([status, answer]) => [status, orJourneyAnswer(status, answer)])),
    default: {
      ...journeyAnswerSchema,
      description: `${JOURNEY_ANSWER}, at a status the route does not answer itself`,
      headers: {
        'Waymark-Run-Id': { type: 'string', format: 'uuid', description: 'the run that answered' },
        'Preference-Applied': { type: 'string', description: 'wait=<seconds>, as the call asked' },
      },
    },
  };
}

/** The route's schema: its headers, and every answer of its own or of a journey's core.respond step. */
export const hookSchema = {
  tags: ['webhooks'],
  security: [],
  summary: "Start a run of a journey from its core.webhook trigger, or runs from a package's webhook trigger",
  params: {
    type: 'object',
    properties: { journeyId: { type: 'string' }, nodeId: { type: 'string' } },
    required: ['journeyId', 'nodeId'],
  },
  headers: {
    type: 'object',
    properties: {
      'x-waymark-secret': { type: 'string' },
      'x-waymark-signature': { type: 'string', description: 'sha256=<hex HMAC-SHA256(secret, raw body)>' },
      'idempotency-key': { type: 'string', maxLength: 255 },
      'webhook-id': {
        type: 'string',
        maxLength: 255,
        description: 'Standard Webhooks message id; a repeat acts as an Idempotency-Key (and wins over one)',
      },
      'webhook-timestamp': { type: 'string', description: 'Standard Webhooks: Unix seconds, within 5 minutes' },
      'webhook-signature': {
        type: 'string',
        description: 'Standard Webhooks: space-separated v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<raw body>")>',
      },
      prefer: {
        type: 'string',
        description:
          "RFC 7240 `wait=<seconds>` (at most 30): answer with the run's first core.respond step instead of 202, if it completes in time (a package trigger's call: when it starts one run)",
      },
    },
  },
  // For the document only: the route reads every body as bytes (the signature is over them),
  // and a schema without a type takes it as it is.
  body: {
    content: {
      'application/json': {
        schema: {
          description:
            "core.webhook: the run's trigger payload, a JSON object; email, phone, externalId or contactId in it bind the run to a contact",
        },
      },
      '*/*': {
        schema: { description: "a package's webhook trigger: what its provider sends, read by the trigger's handler" },
      },
    },
  },
  response: hookResponses({
    200: {
      ...callAnswerSchema,
      description:
        're-entry or the entry cap turned the call away: runId null, skipped; a package trigger: no start began a run, runIds',
    },
    202: {
      ...callAnswerSchema,
      description: 'the run started: runId; a package trigger: runIds, one per start',
    },
    ...errorResponses(400, 404, 409, 413, 415, 422, 429),
  }),
};
