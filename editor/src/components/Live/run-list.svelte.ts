import type { Api } from '../../lib/api/client.ts';
import type { Run } from '../../lib/api/types/runs.ts';
import { errorMessage } from '../../lib/util/format.ts';

/** Which runs a count stands for: a step at `step`, in `stepStatus`, or that left by `output`. */
export interface CountFilter {
  step: string;
  stepStatus?: 'waiting' | 'completed' | 'failed';
  output?: string;
}

const PAGE = 25;

/**
 * A paged, searchable list of the runs behind one count (`GET /api/runs?step=…`), of the version
 * the counts are of (none: every version's).
 */
export class RunList {
  filter = $state.raw<CountFilter | null>(null);
  query = $state('');
  runs = $state.raw<Run[]>([]);
  nextCursor = $state<string | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  /** Bumped by each new search, so an older page that answers late is dropped. */
  #generation = 0;

  constructor(
    private readonly api: Api,
    private readonly journeyId: () => string,
    private readonly version: () => number | null,
  ) {}

  /** What the list shows, in words: "waiting at Wait", "took “yes” at Condition", the step named by `nameOf`. */
  title(nameOf: (nodeId: string) => string): string {
    const f = this.filter;
    if (!f) return '';
    if (f.output) return `took “${f.output}” at ${nameOf(f.step)}`;
    const words = { waiting: 'waiting at', completed: 'done at', failed: 'failed at' } as const;
    return `${f.stepStatus ? words[f.stepStatus] : 'reached'} ${nameOf(f.step)}`;
  }

  open(filter: CountFilter): void {
    this.filter = filter;
    this.query = '';
    void this.search();
  }

  close(): void {
    this.#generation++;
    this.filter = null;
    this.runs = [];
  }

  async search(): Promise<void> {
    const generation = ++this.#generation;
    this.runs = [];
    this.nextCursor = null;
    await this.#page(generation);
  }

  async more(): Promise<void> {
    if (this.nextCursor) await this.#page(this.#generation);
  }

  async #page(generation: number): Promise<void> {
    const filter = this.filter;
    if (!filter) return;
    this.loading = true;
    try {
      const res = await this.api.get<{ runs: Run[]; nextCursor: string | null }>('/api/runs', {
        journeyId: this.journeyId(),
        version: this.version() ?? undefined,
        ...filter,
        ...(this.query.trim() ? { q: this.query.trim() } : {}),
        ...(this.nextCursor ? { cursor: this.nextCursor } : {}),
        limit: PAGE,
      });
      if (generation !== this.#generation) return;
      this.runs = [...this.runs, ...res.runs];
      this.nextCursor = res.nextCursor;
      this.error = null;
    } catch (error) {
      this.error = errorMessage(error);
    } finally {
      this.loading = false;
    }
  }
}
