import { DURATION_BOUND_TEXT, isDurationWithinBound, parseDuration } from '@waymark/sdk';
import type { FastifyInstance } from 'fastify';
import {
  type IdentitySettings,
  identitySettingsSchema,
  loadIdentitySettings,
  saveIdentitySettings,
} from '../../../engine/contacts/merge/auto-merge.js';
import {
  loadPrecedence,
  type SourcePrecedence,
  savePrecedence,
  sourcePrecedenceSchema,
} from '../../../engine/contacts/sources.js';
import {
  type ContactRules,
  contactRulesSchema,
  loadContactRules,
  saveContactRules,
} from '../../../engine/messages/rules/contact-rules.js';
import type { BodyCheck } from '../../plugins/body-checks.js';
import { errorResponses } from '../../schemas/errors.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { auditWithin } from '../../teams/audit/audit.js';

/**
 * The frequency cap's period is at most 1,000 years, as every duration (`DURATION_MAX_SECONDS`):
 * the cap counts from `now - period`, and one before the times PostgreSQL stores failed every
 * marketing send and every retention run. Its pattern says the rest.
 */
const checkCapPeriod: BodyCheck = (request) => {
  const body = request.body as { marketing?: { period?: unknown } } | null | undefined;
  const period = body?.marketing?.period;
  if (typeof period !== 'string') return [];
  const ms = parseDuration(period);
  if (ms === null || isDurationWithinBound(ms)) return [];
  const path = '/marketing/period';
  return [{ path, message: `body${path} must be ${DURATION_BOUND_TEXT}` }];
};

/** Installation settings: the contact rules every message goes through. */
export async function settingsRoutes(app: FastifyInstance) {
  const { db } = app.runtime;

  app.get(
    '/api/settings/contact-rules',
    { schema: { tags: ['settings'], response: { 200: contactRulesSchema, ...errorResponses() } } },
    async (request) => loadContactRules(db, workspaceOf(request)),
  );

  app.put<{ Body: ContactRules }>(
    '/api/settings/contact-rules',
    {
      config: { bodyCheck: checkCapPeriod },
      schema: {
        tags: ['settings'],
        body: contactRulesSchema,
        response: { 200: contactRulesSchema, ...errorResponses(400) },
      },
    },
    async (request) =>
      saveContactRules(db, workspaceOf(request), request.body, app.runtime.clock.now(), (trx) =>
        auditWithin(request, trx),
      ),
  );

  app.get(
    '/api/settings/identity',
    { schema: { tags: ['settings'], response: { 200: identitySettingsSchema, ...errorResponses() } } },
    async (request) => loadIdentitySettings(db, workspaceOf(request)),
  );

  app.put<{ Body: IdentitySettings }>(
    '/api/settings/identity',
    {
      schema: {
        tags: ['settings'],
        summary: 'When identities naming two contacts merge them automatically',
        body: identitySettingsSchema,
        response: { 200: identitySettingsSchema, ...errorResponses(400) },
      },
    },
    async (request) => saveIdentitySettings(db, workspaceOf(request), request.body, (trx) => auditWithin(request, trx)),
  );

  app.get(
    '/api/settings/attribute-sources',
    { schema: { tags: ['settings'], response: { 200: sourcePrecedenceSchema, ...errorResponses() } } },
    async (request) => loadPrecedence(db, workspaceOf(request)),
  );

  app.put<{ Body: SourcePrecedence }>(
    '/api/settings/attribute-sources',
    {
      schema: {
        tags: ['settings'],
        summary: 'Per attribute, which sources win (listed in order, above every unlisted one)',
        body: sourcePrecedenceSchema,
        response: { 200: sourcePrecedenceSchema, ...errorResponses(400) },
      },
    },
    async (request) => savePrecedence(db, workspaceOf(request), request.body, (trx) => auditWithin(request, trx)),
  );
}
