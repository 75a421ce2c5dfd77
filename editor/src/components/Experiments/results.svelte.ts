import type { Api } from '../../lib/api/client.ts';
import type { Analytics, Experiment } from '../../lib/api/experiments.ts';
import { errorMessage } from '../../lib/util/format.ts';

const DAY = 86_400_000;

/** A journey's analytics and experiments for the results panel, and the winner actions. */
export class Results {
  analytics = $state.raw<Analytics | null>(null);
  experiments = $state.raw<Experiment[]>([]);
  bucket = $state<'hour' | 'day'>('day');
  days = $state(30);
  error = $state<string | null>(null);
  busy = $state(false);

  /** `charts`: also the journey's analytics (the Results tab), not only its experiments (a split's inspector). */
  constructor(
    private readonly api: Api,
    private readonly journeyId: string,
    private readonly charts = true,
  ) {}

  async load(): Promise<void> {
    try {
      const to = new Date();
      const from = new Date(to.getTime() - this.days * DAY);
      const [analytics, experiments] = await Promise.all([
        this.charts
          ? this.api.get<Analytics>(`/api/journeys/${this.journeyId}/analytics`, {
              bucket: this.bucket,
              from: from.toISOString(),
              to: to.toISOString(),
            })
          : null,
        this.api.get<{ experiments: Experiment[] }>(`/api/journeys/${this.journeyId}/experiments`),
      ]);
      this.analytics = analytics;
      this.experiments = experiments.experiments;
      this.error = null;
    } catch (error) {
      this.error = errorMessage(error);
    }
  }

  async #act(action: () => Promise<unknown>): Promise<void> {
    this.busy = true;
    try {
      await action();
      await this.load();
    } catch (error) {
      this.error = errorMessage(error);
    } finally {
      this.busy = false;
    }
  }

  /** Sends every later contact of the split to `variant`. */
  override(nodeId: string, variant: string): Promise<void> {
    return this.#act(() =>
      this.api.post(`/api/journeys/${this.journeyId}/nodes/${encodeURIComponent(nodeId)}/winner`, { variant }),
    );
  }

  /** Clears the split's decision: splitting by weight resumes. */
  reset(nodeId: string): Promise<void> {
    return this.#act(() =>
      this.api.delete(`/api/journeys/${this.journeyId}/nodes/${encodeURIComponent(nodeId)}/winner`),
    );
  }
}
