import type { Api } from '../../lib/api/client.ts';
import type { Contact, ContactEvent } from '../../lib/api/types/contacts.ts';
import type { JourneySummary } from '../../lib/api/types/journeys.ts';
import type { Message } from '../../lib/api/types/messages.ts';
import type { Run } from '../../lib/api/types/runs.ts';
import type { Filter } from '../../lib/filter/types.ts';
import { validateFilter } from '../../lib/filter/validate.ts';
import { errorMessage, errorWithDetails } from '../../lib/util/format.ts';
import { type TimelineEntry, timeline } from './timeline.ts';

/** The segment being built, its preview pages, and the contact opened from it. */
export class ContactsState {
  segment = $state.raw<Filter | undefined>(undefined);
  contacts = $state.raw<Contact[]>([]);
  total = $state<number | null>(null);
  nextCursor = $state<string | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  contact = $state.raw<Contact | null>(null);
  events = $state.raw<ContactEvent[]>([]);
  messages = $state.raw<Message[]>([]);
  runs = $state.raw<Run[]>([]);
  journeys = $state.raw<JourneySummary[]>([]);
  /** The opened contact's runs, events and messages, newest first. */
  history = $derived<TimelineEntry[]>(timeline(this.events, this.messages, this.runs, this.journeys));

  /** Narrows the list to contacts whose email contains it. */
  search = $state('');

  problems = $derived(this.segment ? validateFilter(this.segment) : []);
  errors = $derived(new Map(this.problems.map((p) => [p.path, [p.message]])));
  /**
   * Whether the segment is whole by the builder's own check (`validateFilter`): only then is the
   * server asked for its contacts. A half-built one (a clause added, its attribute still to be
   * typed) would be refused with a 400 that flashed as an error while the marketer was typing.
   */
  complete = $derived(this.problems.length === 0);

  constructor(private readonly api: Api) {}

  /** The segment as the builder changed it: the page loads its contacts once typing pauses (`load`). */
  edit(segment: Filter | undefined): void {
    this.segment = segment;
    this.#forgetCount();
  }

  /** Loads the first page, or the next one when `more` (following `nextCursor`). */
  async load(more = false): Promise<void> {
    if (!this.complete) return this.#forgetCount();
    const asked = this.segment;
    // An answer landing after the segment was changed again is of a filter no longer on screen.
    const current = () => this.segment === asked;
    this.loading = true;
    try {
      const res = await this.api.get<{ contacts: Contact[]; total: number; nextCursor: string | null }>(
        '/api/contacts',
        {
          segment: this.#listed() ? JSON.stringify(this.#listed()) : undefined,
          limit: 50,
          cursor: more ? this.nextCursor : undefined,
        },
      );
      if (!current()) return;
      this.contacts = more ? [...this.contacts, ...res.contacts] : res.contacts;
      this.total = res.total;
      this.nextCursor = res.nextCursor;
      this.error = null;
    } catch (error) {
      if (current()) this.error = errorWithDetails(error);
    } finally {
      this.loading = false;
    }
  }

  // The last count and refusal were of another filter than the half-built one on screen.
  #forgetCount(): void {
    if (this.complete) return;
    this.total = null;
    this.error = null;
  }

  /** The built segment, narrowed by the search (emails are stored lower-cased). */
  #listed(): Filter | undefined {
    const q = this.search.trim().toLowerCase();
    if (!q) return this.segment;
    const clause: Filter = { attr: 'email', op: 'contains', value: q };
    return this.segment ? { all: [this.segment, clause] } : clause;
  }

  /** A contact just added or edited: the list shows it, and it is opened. */
  async saved(contact: Contact): Promise<void> {
    await Promise.all([this.load(), this.open(contact.id)]);
  }

  async open(id: string): Promise<void> {
    try {
      const [contact, events, messages, runs, journeys] = await Promise.all([
        this.api.get<Contact>(`/api/contacts/${id}`),
        this.api
          .get<{ events: ContactEvent[] }>('/api/events', { contactId: id, limit: 50 })
          .catch(() => ({ events: [] })),
        this.api
          .get<{ messages: Message[] }>('/api/messages', { contactId: id, limit: 20 })
          .catch(() => ({ messages: [] })),
        this.api.get<{ runs: Run[] }>('/api/runs', { contactId: id, limit: 50 }).catch(() => ({ runs: [] })),
        this.api.get<{ journeys: JourneySummary[] }>('/api/journeys').catch(() => ({ journeys: [] })),
      ]);
      this.contact = contact;
      this.events = events.events;
      this.messages = messages.messages;
      this.runs = runs.runs;
      this.journeys = journeys.journeys;
    } catch (error) {
      this.error = errorMessage(error);
    }
  }
}
