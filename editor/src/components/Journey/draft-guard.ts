import type { Api } from '../../lib/api/client.ts';
import type { Journey } from '../../lib/api/types/journeys.ts';

/** Canonical JSON (keys sorted): two answers holding the same draft compare equal, whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Keeps one tab's autosave from silently overwriting a draft changed elsewhere (another tab,
 * another person). Before each save the guard reads the draft and compares it with the one this
 * page last loaded or saved: a difference is someone else's edit. The save then names the ETag
 * of that read as If-Match, so a save landing between the read and the PUT is refused by the
 * server (412) rather than overwritten.
 */
export class DraftGuard {
  /** The server's draft as this page last read or wrote it; null before a load. */
  #known: string | null = null;
  /** The ETag of that draft: the If-Match of the next save. */
  #etag: string | undefined;

  constructor(private readonly api: Api) {}

  /** The draft this page now holds as the server's (after a load, or the answer to its save), with its ETag. */
  knows(journey: Journey, etag: string | null): void {
    this.#known = canonical(journey.draft);
    this.#etag = etag ?? undefined;
  }

  /** The If-Match of the next save: the revision of the draft this page knows (none before a load). */
  get etag(): string | undefined {
    return this.#etag;
  }

  /** Whether the server's draft is still the one this page knows; if so its ETag is the one read now. */
  async unchanged(journeyId: string): Promise<boolean> {
    if (this.#known === null) return true;
    const now = await this.api.tagged<Journey>('GET', `/api/journeys/${journeyId}`);
    if (canonical(now.body.draft) !== this.#known) return false;
    this.#etag = now.etag ?? undefined;
    return true;
  }
}
