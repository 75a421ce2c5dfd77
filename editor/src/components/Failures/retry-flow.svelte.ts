import type { Api } from '../../lib/api/client.ts';
import type { FailureFilter, RetryJob } from '../../lib/api/types/runs.ts';
import { errorMessage } from '../../lib/util/format.ts';

/** Which failed runs a bulk retry takes (API.md "Retrying runs"): the panel picks by node and code. */
export type RetryFilter = Pick<FailureFilter, 'nodes' | 'codes'>;

/**
 * The failures panel's retries: a group or all first counted (dry run) and confirmed, then a
 * background job whose progress is polled until it ends; or one run retried at once.
 */
export class RetryFlow {
  /** A counted retry waiting for the user's yes. */
  pending = $state.raw<{ label: string; filter: RetryFilter; matched: number } | null>(null);
  job = $state.raw<RetryJob | null>(null);
  error = $state<string | null>(null);
  busy = $state(false);
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly api: Api,
    private readonly journeyId: () => string,
    private readonly changed: () => void,
  ) {}

  /** Counts what a retry would take and asks first. */
  async ask(label: string, filter: RetryFilter): Promise<void> {
    await this.#guard(async () => {
      const { matched } = await this.api.post<{ matched: number }>(`/api/journeys/${this.journeyId()}/retry`, {
        ...filter,
        dryRun: true,
      });
      this.pending = { label, filter, matched };
    });
  }

  cancelAsk(): void {
    this.pending = null;
  }

  /** Starts the counted retry as a job and follows it. */
  async confirm(): Promise<void> {
    const asked = this.pending;
    if (!asked) return;
    await this.#guard(async () => {
      const { jobId } = await this.api.post<{ jobId: string }>(`/api/journeys/${this.journeyId()}/retry`, asked.filter);
      this.pending = null;
      await this.#follow(jobId);
    });
  }

  async retryRun(runId: string): Promise<void> {
    await this.#guard(async () => {
      await this.api.post(`/api/runs/${runId}/retry`, {});
      this.changed();
    });
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #follow(jobId: string): Promise<void> {
    this.stop();
    const job = await this.api.get<RetryJob>(`/api/journeys/${this.journeyId()}/retry/${jobId}`);
    this.job = job;
    if (job.status === 'running') this.#timer = setTimeout(() => void this.#follow(jobId), 500);
    else this.changed();
  }

  async #guard(work: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.error = null;
    try {
      await work();
    } catch (error) {
      this.error = errorMessage(error);
    } finally {
      this.busy = false;
    }
  }
}
