import type { JsonObject } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import type { ContactState } from '../merge/state.js';

/** A stored time as ISO text, null kept. */
export const iso = (at: unknown) => (at === null || at === undefined ? null : new Date(at as string).toISOString());

/** A split (experiment) variant the contact was assigned, and what it did in it. */
export interface SplitAssignment {
  journeyId: string;
  journeyName: string | null;
  nodeId: string;
  variant: string;
  /** `weights`, or the standing decision that routed it. */
  by: string;
  assignedAt: string;
  convertedAt: string | null;
  clickedAt: string | null;
  openedAt: string | null;
}

/** A `core.segment` trigger whose segment the contact is in. */
export interface SegmentMembership {
  journeyId: string;
  journeyName: string | null;
  nodeId: string;
}

/** What one contact was at a merge, as a merge keeps it so it can be undone. */
export interface ContactSnapshot {
  id: string;
  email: string | null;
  phone: string | null;
  externalId: string | null;
  timezone: string | null;
  attributes: JsonObject;
  attributeSources: JsonObject;
  consent: JsonObject;
  subscriptions: JsonObject;
  createdAt: string | null;
  tags: {
    tag: string;
    count: number;
    firstAddedAt: string | null;
    lastAddedAt: string | null;
    expiresAt: string | null;
    removed: boolean;
  }[];
  lists: { list: string; addedAt: string | null }[];
  segments: { journeyId: string; nodeId: string }[];
}

/** A merge the contact (or a contact merged into it) took part in, with the copies of its side kept for an unmerge. */
export interface MergeRecord {
  survivorId: string;
  mergedId: string;
  automatic: boolean;
  mergedAt: string;
  reversibleUntil: string;
  unmergedAt: string | null;
  survivorBefore?: ContactSnapshot;
  survivorAfter?: ContactSnapshot;
  mergedBefore?: ContactSnapshot;
}

/** The contact and the contacts merged into it (`merged_into` names the last survivor of a chain). */
async function samePerson(db: Kysely<Database>, contactId: string): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`select id from contacts where merged_into = ${contactId}`.execute(db);
  return [contactId, ...rows.map((r) => r.id)];
}

/** Split assignments of the contact and of the contacts merged into it, oldest first. */
export async function splitAssignments(
  db: Kysely<Database>,
  workspaceId: string,
  contactId: string,
): Promise<SplitAssignment[]> {
  const ids = await samePerson(db, contactId);
  const { rows } = await sql<{
    journey_id: string;
    name: string | null;
    node_id: string;
    variant: string;
    by: string;
    assigned_at: Date;
    goal_at: Date | null;
    click_at: Date | null;
    open_at: Date | null;
  }>`
    select u.journey_id, j.name, u.node_id, u.variant, u.by, u.assigned_at, u.goal_at, u.click_at, u.open_at
    from split_units u left join journeys j on j.id = u.journey_id
    where u.workspace_id = ${workspaceId} and u.unit = any(${ids}::text[])
    order by u.assigned_at, u.journey_id, u.node_id`.execute(db);
  return rows.map((r) => ({
    journeyId: r.journey_id,
    journeyName: r.name,
    nodeId: r.node_id,
    variant: r.variant,
    by: r.by,
    assignedAt: iso(r.assigned_at) as string,
    convertedAt: iso(r.goal_at),
    clickedAt: iso(r.click_at),
    openedAt: iso(r.open_at),
  }));
}

/** Segment memberships (no time is kept for them: by journey name, then node). */
export async function segmentMemberships(db: Kysely<Database>, contactId: string): Promise<SegmentMembership[]> {
  const { rows } = await sql<{ journey_id: string; name: string | null; node_id: string }>`
    select m.journey_id, j.name, m.node_id
    from segment_members m left join journeys j on j.id = m.journey_id
    where m.contact_id = ${contactId}
    order by j.name, m.journey_id, m.node_id`.execute(db);
  return rows.map((r) => ({ journeyId: r.journey_id, journeyName: r.name, nodeId: r.node_id }));
}

function snapshot(state: ContactState): ContactSnapshot {
  const c = state.contact;
  return {
    id: c.id,
    email: c.email,
    phone: c.phone,
    externalId: c.external_id,
    timezone: c.timezone,
    attributes: c.attributes,
    attributeSources: c.attribute_sources,
    consent: c.consent,
    subscriptions: c.subscriptions,
    createdAt: iso(c.created_at),
    tags: state.tags.map((t) => ({
      tag: t.tag,
      count: t.count,
      firstAddedAt: iso(t.first_added_at),
      lastAddedAt: iso(t.last_added_at),
      expiresAt: iso(t.expires_at),
      removed: t.removed,
    })),
    lists: state.lists.map((l) => ({ list: l.list, addedAt: iso(l.added_at) })),
    segments: (state.segments ?? []).map((s) => ({ journeyId: s.journey_id, nodeId: s.node_id })),
  };
}

/**
 * The merges the contact, or a contact merged into it, took part in, oldest first, with the
 * copies kept of its own side: an unmerged contact is another person again, so its copy (and
 * the united copy) is shown to it, not to the survivor it left.
 */
export async function mergeRecords(
  db: Kysely<Database>,
  workspaceId: string,
  contactId: string,
): Promise<MergeRecord[]> {
  const ids = await samePerson(db, contactId);
  const { rows } = await sql<{
    survivor_id: string;
    merged_id: string;
    automatic: boolean;
    merged_at: Date;
    reversible_until: Date;
    unmerged_at: Date | null;
    survivor_before: ContactState;
    survivor_after: ContactState;
    merged_before: ContactState;
  }>`
    select survivor_id, merged_id, automatic, merged_at, reversible_until, unmerged_at,
      survivor_before, survivor_after, merged_before
    from contact_merges
    where workspace_id = ${workspaceId} and (survivor_id = any(${ids}::uuid[]) or merged_id = any(${ids}::uuid[]))
    order by merged_at, id`.execute(db);
  return rows.map((m) => ({
    survivorId: m.survivor_id,
    mergedId: m.merged_id,
    automatic: m.automatic,
    mergedAt: iso(m.merged_at) as string,
    reversibleUntil: iso(m.reversible_until) as string,
    unmergedAt: iso(m.unmerged_at),
    ...(ids.includes(m.survivor_id) ? { survivorBefore: snapshot(m.survivor_before) } : {}),
    ...(ids.includes(m.merged_id) ? { mergedBefore: snapshot(m.merged_before) } : {}),
    // The united copy holds both sides: only when both are still this person.
    ...(ids.includes(m.survivor_id) && ids.includes(m.merged_id) ? { survivorAfter: snapshot(m.survivor_after) } : {}),
  }));
}
