import type { ContactEvent } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { isUuid } from '../db/ids.js';

/** The events that tell a message was engaged with, and the rollup metric each moves. */
// A Map, not an object: an event's name is the client's text, and `toString` or `constructor`
// would find the object prototype's functions.
const ENGAGEMENT = new Map<string, 'opened' | 'clicked' | 'replied' | 'unsubscribed'>([
  ['email.opened', 'opened'],
  ['email.clicked', 'clicked'],
  ['email.replied', 'replied'],
  ['email.unsubscribed', 'unsubscribed'],
]);

/**
 * Runs inside the transaction that stores `event`: the first open, click, reply or
 * unsubscribe of a journey's message moves its node's rollup in the event's hour, and a first
 * open or click converts the experiment units whose run took a split variant before the
 * message was made (metrics `open`, `click`). Any other event, or one naming no message of a
 * run, does nothing.
 */
export async function recordEngagement(trx: Kysely<Database>, event: ContactEvent): Promise<void> {
  const kind = ENGAGEMENT.get(event.name);
  const messageId = event.properties.messageId;
  if (!kind || typeof messageId !== 'string' || !isUuid(messageId)) return;
  await sql`
    with m as (
      select m.id, m.journey_id, m.node_id, m.run_id, m.created_at, r.version, r.contact_id
      from messages m join runs r on r.id = m.run_id
      where m.id = ${messageId}::uuid and m.node_id is not null
        -- Only its recipient's events count, so another contact (or workspace) cannot move its figures.
        and m.contact_id = ${event.contactId}
    ), first as (
      insert into message_firsts (message_id, kind) select id, ${kind}::text from m
      on conflict do nothing
      returning message_id
    ), split_steps as (
      select distinct m.journey_id, s.node_id, coalesce(m.contact_id::text, 'run:' || m.run_id) as unit,
        s.output ->> 'variant' as variant
      from m join steps s on s.run_id = m.run_id
      where exists (select 1 from first) and ${kind}::text in ('opened', 'clicked')
        and s.status = 'completed' and jsonb_typeof(s.output -> 'variant') = 'string' and s.finished_at <= m.created_at
    ), units as (
      update split_units u set
        click_at = case when ${kind}::text = 'clicked' then ${event.timestamp}::timestamptz else u.click_at end,
        open_at = case when ${kind}::text = 'opened' then ${event.timestamp}::timestamptz else u.open_at end
      from split_steps x
      where u.journey_id = x.journey_id and u.node_id = x.node_id and u.unit = x.unit and u.variant = x.variant
        and u.by = 'weights'
        and ((${kind}::text = 'clicked' and u.click_at is null) or (${kind}::text = 'opened' and u.open_at is null))
      returning u.journey_id, u.node_id, u.variant
    )
    select waymark_add_rollups(coalesce((select json_agg(d) from (
      select m.journey_id as "journeyId", m.version, m.node_id as "nodeId", null as variant,
        ${event.timestamp}::timestamptz as hour, ${kind}::text as metric, 1 as n
      from m where exists (select 1 from first)
      union all
      select u.journey_id, 0, u.node_id, u.variant, ${event.timestamp}::timestamptz,
        case ${kind}::text when 'clicked' then 'unit-click' else 'unit-open' end, 1
      from units u
    ) d), '[]'))
  `.execute(trx);
}
