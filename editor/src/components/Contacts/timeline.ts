import type { ContactEvent } from '../../lib/api/types/contacts.ts';
import type { JourneySummary } from '../../lib/api/types/journeys.ts';
import type { Message } from '../../lib/api/types/messages.ts';
import type { Run } from '../../lib/api/types/runs.ts';

/** One line of a contact's history: an event, a message or a journey run. */
export interface TimelineEntry {
  kind: 'event' | 'message' | 'run';
  at: string;
  title: string;
  detail: string;
  /** A run's status or a message's: its badge. */
  status?: string;
  /** Where the entry opens: a run's journey. */
  href?: string;
}

/** Runs, events and messages of a contact on one timeline, newest first. */
export function timeline(
  events: readonly ContactEvent[],
  messages: readonly Message[],
  runs: readonly Run[],
  journeys: readonly JourneySummary[],
): TimelineEntry[] {
  const names = new Map(journeys.map((j) => [j.id, j.name]));
  const entries: TimelineEntry[] = [
    ...events.map((e) => ({
      kind: 'event' as const,
      at: e.timestamp,
      title: e.name,
      detail: Object.keys(e.properties ?? {}).length ? JSON.stringify(e.properties) : '',
    })),
    ...messages.map((m) => ({
      kind: 'message' as const,
      at: m.createdAt,
      title: m.subject ?? m.channel,
      detail: `${m.channel} to ${m.to}${m.reason ? ` · ${m.reason}` : ''}`,
      status: m.status,
    })),
    ...runs.map((r) => ({
      kind: 'run' as const,
      at: r.startedAt,
      title: `Entered ${names.get(r.journeyId) ?? 'a journey'}`,
      detail: `v${r.version}${r.outcome ? ` · goal ${r.outcome}` : ''}${r.failure ? ` · failed at ${r.failure.nodeId}` : ''}`,
      status: r.status,
      href: `/journeys/${r.journeyId}`,
    })),
  ];
  return entries.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
}
