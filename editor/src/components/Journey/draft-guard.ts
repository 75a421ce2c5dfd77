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
 * another person). The API's draft PUT takes any body (no revision to match), so before each
 * save the guard reads the draft and compares it with the one this page last loaded or saved:
 * a difference is someone else's edit. Two saves landing within the same instant can still
 * cross; edits seconds apart, the usual case, are caught.
 */
export class DraftGuard {
  /** The server's draft as this page last read or wrote it; null before a load. */
  #known: string | null = null;

  constructor(private readonly api: Api) {}

  /** The draft this page now holds as the server's (after a load, or the answer to its save). */
  knows(journey: Journey): void {
    this.#known = canonical(journey.draft);
  }

  /** Whether the server's draft is still the one this page knows. */
  async unchanged(journeyId: string): Promise<boolean> {
    if (this.#known === null) return true;
    const now = await this.api.get<Journey>(`/api/journeys/${journeyId}`);
    return canonical(now.draft) === this.#known;
  }
}
