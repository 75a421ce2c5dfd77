import { randomUUID } from 'node:crypto';
import { type AnyNodeDefinition, type HttpClient, type Lead, type LeadsService, NodeError } from '@waymark/sdk';
import { createCredentialsService } from '../credentials/service.js';
import { createHttpClient } from '../http/client.js';
import { upcomingOwner } from '../leads/service.js';
import type { StepServices } from '../runs/node/services.js';
import type { StepScope } from '../services/step-scope.js';
import type { SimulatedContacts } from './render-contacts.js';
import type { SimulatedOutbox } from './render-messages.js';
import type { ContactWrite } from './types.js';

/** `ctx.http` of a test run that is not live: no request leaves the machine. */
const offlineHttp: HttpClient = {
  async request(request) {
    throw new NodeError(`a test run calls ${request.url} only with "live": true`);
  },
};

/**
 * Leads of one test run: the owner is the one the round-robin would pick now (read, the turn
 * not taken); the lead is shown as a write and never stored. One step creates one lead, as
 * in production.
 */
export class SimulatedLeads {
  readonly #byStep = new Map<string, Lead>();
  readonly #turns = new Map<string, number>();

  service(scope: StepScope, writes: ContactWrite[]): LeadsService {
    return {
      create: async ({ title, owners, assign }) => {
        const done = this.#byStep.get(scope.idempotencyKey);
        if (done) return { ...done };
        const key = JSON.stringify(owners);
        const ahead = this.#turns.get(key) ?? 0;
        let owner = owners[0] as string;
        if (assign === 'round-robin') {
          owner = await upcomingOwner(scope.db, scope.workspaceId, owners, ahead);
          this.#turns.set(key, ahead + 1);
        }
        const lead: Lead = {
          id: randomUUID(),
          title,
          contactId: scope.contactId,
          owner,
          status: 'open',
          createdAt: scope.now().toISOString(),
        };
        this.#byStep.set(scope.idempotencyKey, lead);
        writes.push({ op: 'createLead', leadId: lead.id, title, owner, assign });
        return { ...lead };
      },
    };
  }
}

/** What one test run simulates in place of the database and the outside world. */
export interface Simulation {
  contacts: SimulatedContacts;
  outbox: SimulatedOutbox;
  leads: SimulatedLeads;
  live: boolean;
}

/**
 * The services of one test-run step: the same interfaces as production, rendering but never
 * sending, storing or counting. Credentials are read as production reads them; HTTP goes out
 * only in a live test run, through the production client (its SSRF guard included). A
 * `holdout` token's messages are suppressed, as production suppresses them.
 */
export function renderOnlyServices(
  simulation: Simulation,
  scope: StepScope,
  definition: AnyNodeDefinition,
  writes: ContactWrite[],
  holdout: boolean,
): StepServices {
  return {
    contacts: simulation.contacts.service(writes, scope.source),
    messages: simulation.outbox.service(scope, holdout),
    http: simulation.live ? createHttpClient(scope) : offlineHttp,
    credentials: createCredentialsService(scope, definition.credentials ?? []),
    leads: simulation.leads.service(scope, writes),
  };
}
