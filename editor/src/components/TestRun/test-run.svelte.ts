import { createContext } from 'svelte';
import { type Api, ApiError } from '../../lib/api/client.ts';
import type { Contact } from '../../lib/api/types/contacts.ts';
import type { GraphError } from '../../lib/api/types/journeys.ts';
import type { JsonObject, JsonValue } from '../../lib/api/types/json.ts';
import { errorMessage } from '../../lib/util/format.ts';
import type { EventDraft, TestRunResult, TestStep } from './types.ts';

export type ContactMode = 'typed' | 'existing' | 'payload';

/** How long each step stays the newest one while the path lights up. */
const STEP_MS = 450;

function parseObject(text: string, label: string, problems: string[]): JsonObject | undefined {
  if (!text.trim()) return undefined;
  try {
    const value = JSON.parse(text) as JsonValue;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value;
    problems.push(`${label} must be a JSON object`);
  } catch (error) {
    problems.push(`${label} is not JSON: ${errorMessage(error)}`);
  }
  return undefined;
}

/**
 * The test panel: the request being put together (contact, payload, events), the answer of
 * `POST …/test`, and how much of its path is lit on the canvas so far (steps appear one by one).
 */
export class TestRun {
  mode = $state<ContactMode>('typed');
  typed = $state({ email: '', phone: '', timezone: '', attributes: '' });
  contactId = $state('');
  search = $state('');
  matches = $state.raw<Contact[]>([]);
  trigger = $state('{}');
  events = $state<EventDraft[]>([]);
  live = $state(false);
  version = $state<'draft' | number>('draft');
  /** When the simulated clock starts (`datetime-local`, the browser's time zone); empty: now. */
  startAt = $state('');

  result = $state.raw<TestRunResult | null>(null);
  problems = $state.raw<GraphError[]>([]);
  error = $state<string | null>(null);
  running = $state(false);
  shown = $state(0);

  /** The steps lit so far. */
  revealed = $derived(this.result?.steps.slice(0, this.shown) ?? []);
  reached = $derived(new Set(this.revealed.map((s) => s.nodeId)));
  current = $derived(this.revealed.at(-1)?.nodeId ?? null);
  done = $derived(this.result !== null && this.shown >= this.result.steps.length);
  /** Messages of the steps lit so far. */
  messages = $derived(this.result?.messages.filter((m) => this.reached.has(m.nodeId)) ?? []);

  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly api: Api) {}

  /** The newest lit step of a node (a node may run more than once on forked paths). */
  stepOf(nodeId: string): TestStep | undefined {
    return this.revealed.findLast((s) => s.nodeId === nodeId);
  }

  /** The request body, or the problems that keep it from being sent. */
  body(): { body: JsonObject; problems: string[] } {
    const problems: string[] = [];
    const body: JsonObject = { version: this.version, live: this.live };
    const trigger = parseObject(this.trigger, 'The payload', problems);
    if (trigger) body.trigger = trigger;
    if (this.startAt) {
      const start = new Date(this.startAt);
      if (Number.isNaN(start.getTime())) problems.push('Start at is not a date and time');
      else body.startAt = start.toISOString();
    }
    if (this.mode === 'existing') {
      if (!this.contactId.trim()) problems.push('Pick a contact, or type one');
      body.contact = { id: this.contactId.trim() };
    } else if (this.mode === 'typed') {
      const contact: JsonObject = {};
      for (const key of ['email', 'phone', 'timezone'] as const) {
        if (this.typed[key].trim()) contact[key] = this.typed[key].trim();
      }
      const attributes = parseObject(this.typed.attributes, 'Attributes', problems);
      if (attributes) contact.attributes = attributes;
      body.contact = contact;
    }
    body.events = this.events.map((e, i) => {
      const properties = parseObject(e.properties, `Event ${i + 1}'s properties`, problems);
      if (!e.afterNode || !e.name.trim()) problems.push(`Event ${i + 1} needs a node and a name`);
      const delay = e.delay.trim();
      return {
        afterNode: e.afterNode,
        name: e.name.trim(),
        ...(properties ? { properties } : {}),
        ...(delay ? { delay } : {}),
      };
    });
    return { body, problems };
  }

  async findContacts(): Promise<void> {
    const text = this.search.trim();
    if (!text) {
      this.matches = [];
      return;
    }
    const segment = { attr: 'email', op: 'contains', value: text.toLowerCase() };
    try {
      const res = await this.api.get<{ contacts: Contact[] }>('/api/contacts', {
        segment: JSON.stringify(segment),
        limit: 8,
      });
      this.matches = res.contacts;
    } catch (error) {
      this.error = errorMessage(error);
    }
  }

  pick(contact: Contact): void {
    this.contactId = contact.id;
    this.search = contact.email ?? contact.phone ?? contact.id;
    this.matches = [];
  }

  addEvent(afterNode: string): void {
    this.events = [...this.events, { afterNode, name: '', properties: '', delay: '' }];
  }

  removeEvent(index: number): void {
    this.events = this.events.filter((_, i) => i !== index);
  }

  /** Sends the test run and lights its path step by step. */
  async run(journeyId: string): Promise<void> {
    const { body, problems } = this.body();
    this.clear();
    if (problems.length) {
      this.error = problems.join('. ');
      return;
    }
    this.running = true;
    try {
      this.result = await this.api.post<TestRunResult>(`/api/journeys/${journeyId}/test`, body);
      this.shown = 1;
      this.#timer = setInterval(() => (this.done ? this.#stop() : this.shown++), STEP_MS);
    } catch (error) {
      this.error = errorMessage(error);
      if (error instanceof ApiError) this.problems = error.details;
    } finally {
      this.running = false;
    }
  }

  /** Lights the whole path at once. */
  showAll(): void {
    this.#stop();
    this.shown = this.result?.steps.length ?? 0;
  }

  clear(): void {
    this.#stop();
    this.result = null;
    this.problems = [];
    this.error = null;
    this.shown = 0;
  }

  #stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}

export const [getTestRun, setTestRun] = createContext<TestRun>();
