import type { FastifyInstance } from 'fastify';
import { catalogueRoutes } from './catalogue.js';
import { contactSubscriptionsRoutes } from './contact-subscriptions.js';
import { contactsRoutes } from './contacts.js';
import { credentialsRoutes } from './credentials.js';
import { eventsRoutes } from './events.js';
import { healthRoutes } from './health.js';
import { hooksRoutes } from './hooks.js';
import { inboundRoutes } from './inbound.js';
import { journeysRoutes } from './journeys.js';
import { leadsRoutes } from './leads.js';
import { liveRoutes } from './live.js';
import { messagesRoutes } from './messages.js';
import { runsRoutes } from './runs.js';
import { settingsRoutes } from './settings.js';
import { tagsListsRoutes } from './tags-lists.js';
import { auditRoutes } from './teams/audit.js';
import { authRoutes } from './teams/auth.js';
import { invitationsRoutes } from './teams/invitations.js';
import { workspacesRoutes } from './teams/workspaces.js';
import { testRunsRoutes } from './test-runs.js';
import { tokensRoutes } from './tokens.js';
import { trackingRoutes } from './tracking.js';

/** Every route plugin; each file holds one resource's routes and their schemas. */
export async function routes(app: FastifyInstance) {
  await app.register(healthRoutes);
  await app.register(catalogueRoutes);
  await app.register(journeysRoutes);
  await app.register(testRunsRoutes);
  await app.register(runsRoutes);
  await app.register(hooksRoutes);
  await app.register(inboundRoutes);
  await app.register(contactsRoutes);
  await app.register(contactSubscriptionsRoutes);
  await app.register(eventsRoutes);
  await app.register(tagsListsRoutes);
  await app.register(credentialsRoutes);
  await app.register(messagesRoutes);
  await app.register(leadsRoutes);
  await app.register(settingsRoutes);
  await app.register(trackingRoutes);
  await app.register(liveRoutes);
  await app.register(tokensRoutes);
  await app.register(authRoutes);
  await app.register(workspacesRoutes);
  await app.register(invitationsRoutes);
  await app.register(auditRoutes);
}
