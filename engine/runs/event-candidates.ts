import { sql } from 'kysely';
import type { JourneyGoal } from '../graph/types.js';

/** The `core.event` trigger type: its `params.event` names the events that start a run. */
export const EVENT_TRIGGER = 'core.event';

/** What an event may act on, read before it acts (`applyEventEffects`). */
export interface EventCandidates {
  /** The contact's runs not yet converted whose version's goal names the event, within its window. */
  goals: { id: string; goal: JourneyGoal }[];
  /** The contact's live runs whose version lists the event in `exitOn`. */
  exiting: string[];
  /** The runs of the contact's waits for an event of this name. */
  waiting: string[];
  /** The `core.event` triggers of the workspace's live journeys that name the event. */
  triggers: { journeyId: string; version: number; nodeId: string; filter: unknown }[];
  /** Whether the workspace has computed attributes: which of them the event moves is `refreshContacts`'s to decide. */
  computed: boolean;
}

/**
 * The columns of what an event may act on, read for a row `e` (`contact_id`, `name`, `at` its
 * time to the millisecond as the API shows it, `workspace_id` its contact's), as part of a
 * statement: the one that stores the event (engine/events/record.ts).
 * An event reaches none of it in most workspaces most of the time, and these were five round
 * trips of every `POST /api/events`. What each effect then writes is its own (conversions,
 * endRuns, the waits' resumption, the runs started); a run among `exiting` that a goal ended
 * first is left alone by endRuns, and the waits of runs ended meanwhile are gone when theirs
 * are locked.
 */
export const EVENT_CANDIDATES = sql<EventCandidates>`
  (select coalesce(json_agg(json_build_object('id', r.id, 'goal', v.settings -> 'goal')), '[]')
    from runs r
    join journey_versions v on v.journey_id = r.journey_id and v.version = r.version
    where r.contact_id = e.contact_id
      -- An event converts runs of its contact's workspace only.
      and r.workspace_id = e.workspace_id
      and v.settings -> 'goal' ->> 'event' = e.name
      -- From startedAt as the API shows it (milliseconds): an event stamped with it converts.
      and e.at between date_trunc('milliseconds', r.started_at)
        and r.started_at + make_interval(secs => (v.settings -> 'goal' ->> 'windowSeconds')::int)
      and not exists (select 1 from run_conversions rc where rc.run_id = r.id)) as goals,
  (select coalesce(json_agg(r.id), '[]')
    from runs r
    join journey_versions v on v.journey_id = r.journey_id and v.version = r.version
    where r.contact_id = e.contact_id and r.status in ('running', 'waiting')
      and coalesce(v.settings -> 'exitOn', '[]'::jsonb) ? e.name) as exiting,
  (select coalesce(json_agg(distinct w.run_id), '[]')
    from waits w where w.contact_id = e.contact_id and w.event_name = e.name) as waiting,
  (select coalesce(json_agg(json_build_object('journeyId', j.id, 'version', j.published_version,
      'nodeId', n ->> 'id', 'filter', n -> 'params' -> 'filter')), '[]')
    from journeys j
    join journey_versions v on v.journey_id = j.id and v.version = j.published_version
    cross join lateral jsonb_array_elements(v.graph -> 'nodes') n
    where j.status = 'live'
      -- An event starts journeys of its contact's workspace only.
      and j.workspace_id = e.workspace_id
      and v.graph -> 'nodes' @> jsonb_build_array(jsonb_build_object('type', ${EVENT_TRIGGER}::text,
        'params', jsonb_build_object('event', e.name)))
      and n ->> 'type' = ${EVENT_TRIGGER} and n -> 'params' ->> 'event' = e.name) as triggers,
  exists (select 1 from computed_attributes a where a.workspace_id = e.workspace_id) as computed`;
