import { type Api, ApiError } from '../../lib/api/client.ts';
import type { Journey } from '../../lib/api/types/journeys.ts';
import { errorMessage } from '../../lib/util/format.ts';
import type { JourneyEditor } from './journey-editor.svelte.ts';

/**
 * The journey's own record on the server, apart from its draft: publishing, its name, tags and
 * status (pause, resume). Each is written at once; a failure shows as the editor's notice.
 */
export class JourneyRecord {
  #tagWrites: Promise<void> = Promise.resolve();

  constructor(
    private readonly editor: JourneyEditor,
    private readonly api: Api,
  ) {}

  async publish(): Promise<void> {
    const ed = this.editor;
    await ed.autosave.save();
    // Publishing now would publish the draft someone else saved, not the one on this canvas.
    if (ed.autosave.status === 'conflict') {
      ed.notice = 'Not published: the draft was changed elsewhere. Load theirs or keep yours first.';
      return;
    }
    ed.busy = 'Publishing…';
    try {
      const res = await this.api.post<{ version: number }>(`/api/journeys/${ed.id}/publish`);
      ed.notice = `Published version ${res.version}.`;
      ed.errors = [];
      ed.valid = true;
      await this.refreshMeta();
    } catch (error) {
      if (error instanceof ApiError && error.code === 'invalid_graph') {
        ed.showProblems(error.details);
        ed.valid = false;
        ed.notice = `Not published: ${error.details.length} problem(s).`;
      } else ed.notice = errorMessage(error);
    } finally {
      ed.busy = null;
    }
  }

  /** Reloads name, status and versions without touching the graph being edited. */
  async refreshMeta(): Promise<void> {
    const ed = this.editor;
    const journey = await this.api.get<Journey>(`/api/journeys/${ed.id}`);
    ed.journey = journey;
  }

  async rename(name: string): Promise<void> {
    const ed = this.editor;
    if (!name.trim() || name === ed.journey?.name) return;
    try {
      const journey = await this.api.patch<Journey>(`/api/journeys/${ed.id}`, { name: name.trim() });
      ed.journey = { ...(ed.journey ?? journey), name: journey.name ?? name };
    } catch (error) {
      ed.notice = errorMessage(error);
    }
  }

  /**
   * Replaces the journey's tags (they are the journey's, not the draft's: saved at once). Shows
   * the tags at once and writes them after any write still under way: a tag added while the
   * previous one is being saved builds on it, and the writes land in order.
   */
  setTags(tags: string[]): Promise<void> {
    const ed = this.editor;
    const before = ed.journey?.tags ?? [];
    if (ed.journey) ed.journey = { ...ed.journey, tags };
    this.#tagWrites = this.#tagWrites.then(async () => {
      const latest = () => ed.journey?.tags === tags;
      try {
        const journey = await this.api.patch<Journey>(`/api/journeys/${ed.id}`, { tags });
        if (latest()) ed.journey = { ...(ed.journey ?? journey), tags: journey.tags ?? tags };
      } catch (error) {
        ed.notice = errorMessage(error);
        if (latest() && ed.journey) ed.journey = { ...ed.journey, tags: before };
      }
    });
    return this.#tagWrites;
  }

  async setPaused(paused: boolean): Promise<void> {
    const ed = this.editor;
    try {
      const journey = await this.api.post<Journey>(`/api/journeys/${ed.id}/${paused ? 'pause' : 'resume'}`);
      ed.journey = { ...(ed.journey ?? journey), status: journey.status ?? (paused ? 'paused' : 'live') };
    } catch (error) {
      ed.notice = errorMessage(error);
    }
  }
}
