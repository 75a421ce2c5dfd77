import { createHash } from 'node:crypto';
import type { Lead, LeadsService } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { inTransaction } from '../db/transaction.js';
import type { StepScope } from '../services/step-scope.js';

export interface LeadRow {
  id: string;
  title: string;
  contact_id: string | null;
  owner: string;
  status: Lead['status'];
  created_at: Date;
  journey_id: string | null;
  run_id: string | null;
  node_id: string | null;
}

/** The columns a lead is shown from (`toApiLead`). */
export const LEAD_COLUMNS = [
  'id',
  'title',
  'contact_id',
  'owner',
  'status',
  'created_at',
  'journey_id',
  'run_id',
  'node_id',
] as const;

/** A lead row as the API shows it. */
export function toApiLead(r: LeadRow) {
  return {
    id: r.id,
    title: r.title,
    contactId: r.contact_id,
    owner: r.owner,
    status: r.status,
    createdAt: new Date(r.created_at).toISOString(),
    source: { journeyId: r.journey_id, runId: r.run_id, nodeId: r.node_id },
  };
}

/**
 * The key of a workspace's round-robin over a list of owners: each workspace takes its own
 * turns, even over the same salespeople (teams.md "Workspaces").
 */
const ownersHash = (workspaceId: string, owners: readonly string[]) =>
  createHash('sha256')
    .update(JSON.stringify([workspaceId, owners]))
    .digest('hex');

/**
 * The next owner of a list in round-robin order: one atomic upsert of the list's counter,
 * so every process and restart continues the same sequence.
 */
async function nextOwner(db: Kysely<Database>, workspaceId: string, owners: readonly string[]): Promise<string> {
  const hash = ownersHash(workspaceId, owners);
  const { rows } = await sql<{ n: string }>`
    insert into lead_counters (owners_hash, next) values (${hash}, 1)
    on conflict (owners_hash) do update set next = lead_counters.next + 1
    returning next - 1 as n`.execute(db);
  return owners[Number(rows[0]?.n ?? 0) % owners.length] as string;
}

/**
 * The owner a round-robin lead would get `ahead` turns from now, read without taking a turn
 * (test runs show the assignment and leave the sequence as it is).
 *
 * @example
 * await upcomingOwner(db, workspaceId, ['a@x.io', 'b@x.io']) // 'a@x.io' before any lead of that list
 */
export async function upcomingOwner(
  db: Kysely<Database>,
  workspaceId: string,
  owners: readonly string[],
  ahead = 0,
): Promise<string> {
  const row = await db
    .selectFrom('lead_counters')
    .select('next')
    .where('owners_hash', '=', ownersHash(workspaceId, owners))
    .executeTakeFirst();
  return owners[(Number(row?.next ?? 0) + ahead) % owners.length] as string;
}

/** `ctx.leads`: leads with round-robin assignment kept in the database. (Channels part.) */
export function createLeadsService(scope: StepScope): LeadsService {
  const { db } = scope;
  const toLead = (r: LeadRow): Lead => {
    const { source: _source, ...lead } = toApiLead(r);
    return lead;
  };
  return {
    async create({ title, owners, assign }) {
      // A retried step finds the lead it created instead of taking another owner's turn.
      const existing = await db
        .selectFrom('leads')
        .select(LEAD_COLUMNS)
        .where('idempotency_key', '=', scope.idempotencyKey)
        .executeTakeFirst();
      if (existing) return toLead(existing as LeadRow);
      const run = async (trx: Kysely<Database>) => {
        const owner = assign === 'first' ? (owners[0] as string) : await nextOwner(trx, scope.workspaceId, owners);
        const row = await trx
          .insertInto('leads')
          .values({
            workspace_id: scope.workspaceId,
            idempotency_key: scope.idempotencyKey,
            title,
            contact_id: scope.contactId,
            owner,
            journey_id: scope.journeyId,
            run_id: scope.runId,
            node_id: scope.nodeId,
            created_at: scope.now(),
          })
          .onConflict((oc) => oc.column('idempotency_key').doNothing())
          .returning(LEAD_COLUMNS)
          .executeTakeFirst();
        return (
          row ??
          (await trx
            .selectFrom('leads')
            .select(LEAD_COLUMNS)
            .where('idempotency_key', '=', scope.idempotencyKey)
            .executeTakeFirstOrThrow())
        );
      };
      const row = await inTransaction(db, run);
      return toLead(row as LeadRow);
    },
  };
}
