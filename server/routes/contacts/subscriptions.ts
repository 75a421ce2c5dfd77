import { type SubscriptionStatus, subscriptionCategorySchema } from '@waymark/sdk';
import type { FastifyInstance } from 'fastify';
import { contactIdFor } from '../../../engine/contacts/merge/survivor.js';
import { setSubscription } from '../../../engine/contacts/privacy/subscriptions.js';
import { countTriggerSteps, newTally } from '../../../engine/events/record.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { auditWithin } from '../../teams/audit/audit.js';
import { errorResponses, subscriptionSchema } from './schemas.js';

const params = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    category: { ...subscriptionCategorySchema, description: 'the marketing category, e.g. newsletter' },
  },
  required: ['id', 'category'],
} as const;

/** Per-category marketing preferences of a contact (API.md "Contact rules and consent"). */
export async function contactSubscriptionsRoutes(app: FastifyInstance) {
  const { db } = app.runtime;

  app.put<{
    Params: { id: string; category: string };
    Body: { status: SubscriptionStatus; source?: string };
  }>(
    '/api/contacts/:id/subscriptions/:category',
    {
      schema: {
        tags: ['contacts'],
        summary:
          'Subscribe or unsubscribe a contact from one marketing category; a change is recorded as a subscription.changed event',
        params,
        body: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: ['subscribed', 'unsubscribed'] },
            source: { type: 'string', maxLength: 200 },
          },
          required: ['status'],
          additionalProperties: false,
        },
        response: { 200: subscriptionSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const id = await contactIdFor(db, workspaceOf(request), request.params.id);
      const tally = newTally();
      const subscription = await setSubscription(db, id, request.params.category, request.body, tally, (trx) =>
        auditWithin(request, trx),
      );
      countTriggerSteps(app.runtime.metrics, tally);
      return subscription;
    },
  );
}
