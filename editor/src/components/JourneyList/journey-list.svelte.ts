import type { Api } from '../../lib/api/client.ts';
import type { Journey, JourneySummary } from '../../lib/api/types/journeys.ts';
import type { JourneyStats } from '../../lib/api/types/runs.ts';
import { errorMessage } from '../../lib/util/format.ts';

/** Totals of one journey's stats, for the list: who is inside now and what went wrong. */
export interface JourneyCounts {
  entered: number;
  waiting: number;
  failed: number;
}

function totals(stats: JourneyStats): JourneyCounts {
  const all = Object.values(stats.nodes);
  return {
    // A run's first step is its trigger, so the busiest node's `entered` is the runs started.
    entered: Math.max(0, ...all.map((n) => n.entered)),
    waiting: all.reduce((sum, n) => sum + n.waiting, 0),
    failed: all.reduce((sum, n) => sum + n.failed, 0),
  };
}

/** How recently a journey changed, for the list's filter. */
export const UPDATED_WITHIN = { any: null, day: 1, week: 7, month: 30 } as const;

export class JourneyListState {
  journeys = $state.raw<JourneySummary[]>([]);
  /** The list's filters: part of the name, a status, a tag, how recently it changed. */
  search = $state('');
  status = $state<JourneySummary['status'] | ''>('');
  tag = $state('');
  updated = $state<keyof typeof UPDATED_WITHIN>('any');
  /** Every tag some journey carries, for the tag filter. */
  tags = $derived([...new Set(this.journeys.flatMap((j) => j.tags))].sort((a, b) => a.localeCompare(b)));
  shown = $derived.by(() => {
    const words = this.search.trim().toLowerCase();
    const days = UPDATED_WITHIN[this.updated];
    const since = days === null ? null : Date.now() - days * 86_400_000;
    return this.journeys.filter(
      (j) =>
        (!words || j.name.toLowerCase().includes(words)) &&
        (!this.status || j.status === this.status) &&
        (!this.tag || j.tags.includes(this.tag)) &&
        (since === null || new Date(j.updatedAt).getTime() >= since),
    );
  });
  counts = $state.raw<Record<string, JourneyCounts>>({});
  loading = $state(true);
  error = $state<string | null>(null);

  constructor(private readonly api: Api) {}

  async load(): Promise<void> {
    try {
      const res = await this.api.get<{ journeys: JourneySummary[] }>('/api/journeys');
      this.journeys = res.journeys;
      this.error = null;
      void this.loadCounts();
    } catch (error) {
      this.error = errorMessage(error);
    } finally {
      this.loading = false;
    }
  }

  async loadCounts(): Promise<void> {
    const published = this.journeys.filter((j) => j.publishedVersion !== null);
    const entries = await Promise.all(
      published.map(async (j) => {
        try {
          const stats = await this.api.get<JourneyStats>(`/api/journeys/${j.id}/stats`);
          return [j.id, totals(stats)] as const;
        } catch {
          return null;
        }
      }),
    );
    this.counts = Object.fromEntries(entries.filter((e) => e !== null));
  }

  /** A new draft, empty or made from a journey template; its id, or null when refused. */
  async create(name: string, template?: string): Promise<string | null> {
    try {
      const journey = await this.api.post<Journey>('/api/journeys', template ? { name, template } : { name });
      return journey.id;
    } catch (error) {
      this.error = errorMessage(error);
      return null;
    }
  }

  async rename(id: string, name: string): Promise<void> {
    try {
      await this.api.patch(`/api/journeys/${id}`, { name });
      this.journeys = this.journeys.map((j) => (j.id === id ? { ...j, name } : j));
    } catch (error) {
      this.error = errorMessage(error);
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.api.delete(`/api/journeys/${id}`);
      this.journeys = this.journeys.filter((j) => j.id !== id);
    } catch (error) {
      this.error = errorMessage(error);
    }
  }
}
