import { type Api, ApiError } from '../../lib/api/client.ts';
import type { GraphError, Journey } from '../../lib/api/types/journeys.ts';
import { debounce } from '../../lib/util/debounce.ts';
import { errorMessage } from '../../lib/util/format.ts';
import { DraftGuard } from './draft-guard.ts';
import type { JourneyEditor } from './journey-editor.svelte.ts';

/** `conflict`: the server's draft changed elsewhere since this page read it; nothing is saved over it unasked. */
export type SaveStatus = 'saved' | 'pending' | 'saving' | 'error' | 'conflict';

/**
 * Saving the open draft (graph and settings) as it is edited: a change is saved once edits
 * pause, saves are chained, and a draft changed elsewhere is not saved over unasked (DraftGuard).
 */
export class DraftAutosave {
  status = $state<SaveStatus>('saved');
  error = $state<string | null>(null);
  /** The last refused save's details by pointer (`/settings/goal/event`): shown at their fields. */
  problems = $state.raw<GraphError[]>([]);
  /** Whether a draft is open to save: false while one loads. */
  open = false;

  #lastSaved = '';
  #inflight: Promise<void> = Promise.resolve();
  #soon = debounce(() => void this.save(), 800);
  #guard: DraftGuard;

  constructor(
    private readonly editor: JourneyEditor,
    private readonly api: Api,
  ) {
    this.#guard = new DraftGuard(api);
  }

  /** The journey just read from the server, with its ETag: its draft is the one known saved. */
  knows(journey: Journey, etag: string | null): void {
    this.#guard.knows(journey, etag);
    this.error = null;
  }

  /** What the editor holds now (`key`, graph and settings) is what the server has. */
  saved(key: string): void {
    this.#lastSaved = key;
  }

  /** Graph or settings changed (`key`): saved once the edits pause. */
  changed(key: string): void {
    if (key === this.#lastSaved) return;
    this.status = 'pending';
    this.#soon();
  }

  /**
   * PUTs the draft; saves are chained so an older body never lands after a newer one. A draft
   * changed elsewhere meanwhile is not saved over (`conflict`) unless `overwrite`.
   */
  save({ overwrite = false }: { overwrite?: boolean } = {}): Promise<void> {
    this.#soon.cancel();
    this.#inflight = this.#inflight.then(() => this.#put(overwrite));
    return this.#inflight;
  }

  /** Saves a pending change now (leaving the page must not lose the last edit). */
  flush(): void {
    this.#soon.flush();
  }

  async #put(overwrite: boolean): Promise<void> {
    const ed = this.editor;
    const key = ed.saveKey;
    if (!this.open || ed.readOnly || key === this.#lastSaved) return;
    this.status = 'saving';
    try {
      if (!overwrite && !(await this.#guard.unchanged(ed.id))) return this.#changedElsewhere();
      const body = { graph: JSON.parse(ed.graphJson), settings: ed.settings };
      // Keep mine (`overwrite`) saves over whatever is there: no If-Match.
      const ifMatch = overwrite ? undefined : this.#guard.etag;
      const saved = await this.api.tagged<Journey | undefined>('PUT', `/api/journeys/${ed.id}/draft`, {
        body,
        ifMatch,
      });
      this.#guard.knows(saved.body?.draft ? saved.body : { ...(ed.journey as Journey), draft: body }, saved.etag);
      this.#lastSaved = key;
      this.error = null;
      this.problems = [];
      this.status = ed.saveKey === key ? 'saved' : 'pending';
      void ed.validate(true);
    } catch (error) {
      // 412: a save elsewhere landed between the check above and this PUT.
      if (error instanceof ApiError && error.code === 'precondition_failed') return this.#changedElsewhere();
      this.status = 'error';
      this.error = errorMessage(error);
      this.problems = error instanceof ApiError ? error.details : [];
    }
  }

  #changedElsewhere(): void {
    this.status = 'conflict';
    this.error = 'Someone changed this draft in another tab or session since it was opened here.';
  }
}
