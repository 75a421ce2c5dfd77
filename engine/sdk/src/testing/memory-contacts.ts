import { randomUUID } from 'node:crypto';
import { type Contact, type ContactEvent, refuseBadName, refuseLongTtl, type TagState } from '../contact.js';
import { refuseBadEventName } from '../event-name.js';
import { evaluateFilter } from '../filter/evaluate.js';
import type { JsonObject } from '../json.js';
import type { ContactsService } from '../services.js';
import { addDuration } from '../time/duration.js';

/**
 * A contact for tests: every field defaulted, any overridden.
 *
 * @example
 * const contact = makeContact({ email: 'ada@example.com', attributes: { plan: 'pro' } });
 */
export function makeContact(fields: Partial<Contact> = {}): Contact {
  const at = new Date(0).toISOString();
  return {
    id: randomUUID(),
    email: null,
    phone: null,
    externalId: null,
    timezone: null,
    attributes: {},
    consent: { email: { status: 'unknown' }, sms: { status: 'unknown' } },
    tags: [],
    lists: [],
    createdAt: at,
    updatedAt: at,
    ...fields,
  };
}

/**
 * The contact store in memory: what `runNode` hands a node as `ctx.contacts`.
 *
 * @example
 * const contacts = new MemoryContacts(() => new Date('2026-01-01T00:00:00Z'));
 * contacts.contacts.set(contact.id, contact);
 * await contacts.addTag(contact.id, 'vip', { ttl: 'P30D' });
 */
export class MemoryContacts implements ContactsService {
  readonly contacts = new Map<string, Contact>();
  readonly events: ContactEvent[] = [];

  constructor(private readonly now: () => Date) {}

  #require(id: string): Contact {
    const contact = this.contacts.get(id);
    if (!contact) throw new Error(`no contact ${id}`);
    return contact;
  }

  async get(id: string) {
    return this.contacts.get(id) ?? null;
  }

  /**
   * Merges attributes key by key, each written key naming `source` (default `journey`) in
   * `attributeSources`. No precedence lists here: every source ranks alike, so writes apply.
   */
  async update(id: string, patch: { attributes?: JsonObject; timezone?: string | null; source?: string }) {
    const contact = this.#require(id);
    const at = this.now().toISOString();
    const sources = { ...contact.attributeSources };
    for (const [key, value] of Object.entries(patch.attributes ?? {})) {
      if (value === null) {
        delete contact.attributes[key];
        delete sources[key];
      } else {
        contact.attributes[key] = value;
        sources[key] = { source: patch.source ?? 'journey', at };
      }
    }
    contact.attributeSources = sources;
    if (patch.timezone !== undefined) contact.timezone = patch.timezone;
    contact.updatedAt = at;
    return contact;
  }

  async addTag(id: string, tag: string, options: { ttl?: string } = {}): Promise<TagState> {
    refuseBadName('addTag', 'tag', tag);
    if (options.ttl) refuseLongTtl(options.ttl);
    const contact = this.#require(id);
    const at = this.now().toISOString();
    const expiresAt = options.ttl ? addDuration(this.now(), options.ttl).toISOString() : null;
    let state = contact.tags.find((t) => t.tag === tag);
    if (!state) {
      state = { tag, count: 0, firstAddedAt: at, lastAddedAt: at, expiresAt, active: true };
      contact.tags.push(state);
    }
    Object.assign(state, { count: state.count + 1, lastAddedAt: at, expiresAt, active: true });
    return state;
  }

  async removeTag(id: string, tag: string) {
    refuseBadName('removeTag', 'tag', tag);
    const state = this.#require(id).tags.find((t) => t.tag === tag);
    if (state) state.active = false;
  }

  async addToList(id: string, list: string) {
    refuseBadName('addToList', 'list', list);
    const contact = this.#require(id);
    if (!contact.lists.some((l) => l.list === list)) contact.lists.push({ list, addedAt: this.now().toISOString() });
  }

  async removeFromList(id: string, list: string) {
    refuseBadName('removeFromList', 'list', list);
    const contact = this.#require(id);
    contact.lists = contact.lists.filter((l) => l.list !== list);
  }

  async recordEvent(contactId: string, name: string, properties: JsonObject = {}) {
    refuseBadEventName('recordEvent', name);
    const event = { id: randomUUID(), contactId, name, properties, timestamp: this.now().toISOString() };
    this.events.push(event);
    return event;
  }

  async matches(
    contactId: string | null,
    filter: Parameters<ContactsService['matches']>[1],
    scope: Parameters<ContactsService['matches']>[2],
  ) {
    const contact = contactId ? (this.contacts.get(contactId) ?? null) : null;
    const events = this.events.filter((e) => e.contactId === contactId);
    return evaluateFilter(filter, { contact, events, trigger: scope.trigger, steps: scope.steps, now: this.now() });
  }
}
