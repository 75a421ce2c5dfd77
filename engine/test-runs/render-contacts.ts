import {
  type Contact,
  type ContactEvent,
  type ContactsService,
  type Filter,
  type JsonObject,
  NotFoundError,
  parseDuration,
  ValidationError,
} from '@waymark/sdk';
import { MemoryContacts } from '@waymark/sdk/testing';
import { type Kysely, sql } from 'kysely';
import { type FilterDefinition, filterValue } from '../computed/filter-value.js';
import { definitionsOf, inDependencyOrder } from '../computed/refresh.js';
import { checkSource, storedTimeZone } from '../contacts/identity/normalize.js';
import { loadContact } from '../contacts/load.js';
import type { Database } from '../db/database.js';
import { isUuid } from '../db/ids.js';
import { toContactEvent } from '../events/record.js';
import type { ContactWrite } from './types.js';

/** The event names a filter counts, so only those of a stored contact's events are read. */
function eventNamesIn(filter: Filter, into = new Set<string>()): Set<string> {
  if ('all' in filter) for (const f of filter.all) eventNamesIn(f, into);
  else if ('any' in filter) for (const f of filter.any) eventNamesIn(f, into);
  else if ('not' in filter) eventNamesIn(filter.not, into);
  else if ('event' in filter) into.add(filter.event);
  return into;
}

/**
 * The contact store of one test run, in memory: the run's contact (and any other contact a
 * node reads, loaded read-only) with the walk's writes applied to the copy alone. Filters are
 * evaluated in memory over it and over the contact's stored events (the evaluator agrees
 * with the SQL one), so a condition sees what earlier steps "wrote".
 */
export class SimulatedContacts {
  readonly #store: MemoryContacts;
  readonly #eventsRead = new Set<string>();
  #filterDefinitions: Promise<{ name: string; definition: FilterDefinition }[]> | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly workspaceId: string,
    private readonly now: () => Date,
    contact: Contact | null,
  ) {
    this.#store = new MemoryContacts(now);
    if (contact) this.#store.contacts.set(contact.id, structuredClone(contact));
  }

  /** A copy of a contact as the walk has left it so far. */
  current(contactId: string | null): Contact | null {
    const contact = contactId ? this.#store.contacts.get(contactId) : undefined;
    return contact ? structuredClone(contact) : null;
  }

  /** Stores an event in the simulation (never in the database), for filters counting it. */
  addEvent(event: ContactEvent): void {
    this.#store.events.push(event);
  }

  async #find(contactId: string): Promise<Contact | null> {
    const known = this.#store.contacts.get(contactId);
    if (known) return known;
    const stored = isUuid(contactId) ? await loadContact(this.db, this.workspaceId, contactId) : null;
    if (stored) this.#store.contacts.set(contactId, stored);
    return stored;
  }

  async #require(contactId: string): Promise<void> {
    if (!(await this.#find(contactId))) throw new NotFoundError(`no contact ${contactId}`);
  }

  async #readEvents(contactId: string, names: Set<string>): Promise<void> {
    const missing = [...names].filter((name) => !this.#eventsRead.has(`${contactId}\u0000${name}`));
    if (!missing.length || !isUuid(contactId)) return;
    const { rows } = await sql<Parameters<typeof toContactEvent>[0]>`
      select id, contact_id, name, properties, timestamp from events
      where contact_id = ${contactId} and name = any(${missing}::text[])`.execute(this.db);
    for (const row of rows) this.#store.events.push(toContactEvent(row));
    for (const name of missing) this.#eventsRead.add(`${contactId}\u0000${name}`);
  }

  /**
   * After a write to a contact's attributes, tags or lists: its values of the workspace's
   * filter definitions, as the database would recompute them in the write's transaction
   * (contract identity.md "Values stay current"), so a later condition reads them.
   */
  async #profileChanged(contactId: string): Promise<void> {
    this.#filterDefinitions ??= definitionsOf(this.db, this.workspaceId, 'profile').then((defs) =>
      inDependencyOrder(defs).flatMap((d) =>
        d.definition.kind === 'filter' ? [{ ...d, definition: d.definition }] : [],
      ),
    );
    const defs = await this.#filterDefinitions;
    const contact = this.#store.contacts.get(contactId);
    if (!contact || defs.length === 0) return;
    for (const { definition } of defs)
      for (const f of 'filter' in definition ? [definition.filter] : definition.cases.map((c) => c.when))
        await this.#readEvents(contactId, eventNamesIn(f));
    const events = this.#store.events.filter((e) => e.contactId === contactId);
    for (const { name, definition } of defs)
      contact.computed = {
        ...contact.computed,
        [name]: filterValue(definition, { contact, events, now: this.now() }),
      };
  }

  /**
   * `ctx.contacts` for one step: every write lands in `writes` and in the copy, never in the
   * database; an update naming no source names the run's (`source`).
   */
  service(writes: ContactWrite[], source: string): ContactsService {
    const store = this.#store;
    const copy = <T>(value: T): T => structuredClone(value);
    return {
      get: async (contactId) => copy(await this.#find(contactId)),
      update: async (contactId, given) => {
        // Stored as production stores it (`updateContact`): the IANA spelling.
        const patch = given.timezone ? { ...given, timezone: storedTimeZone(given.timezone) } : given;
        if (patch.source !== undefined) checkSource(patch.source);
        await this.#require(contactId);
        writes.push({
          op: 'update',
          contactId,
          ...(patch.attributes ? { attributes: patch.attributes } : {}),
          ...(patch.timezone !== undefined ? { timezone: patch.timezone } : {}),
        });
        const updated = await store.update(contactId, { ...patch, source: patch.source ?? source });
        await this.#profileChanged(contactId);
        return copy(updated);
      },
      addTag: async (contactId, tag, options) => {
        if (options?.ttl && parseDuration(options.ttl) === null)
          throw new ValidationError(`ttl "${options.ttl}" is not an ISO 8601 duration`, [
            { path: '/ttl', message: 'not a duration' },
          ]);
        await this.#require(contactId);
        writes.push({ op: 'addTag', contactId, tag, ...(options?.ttl ? { ttl: options.ttl } : {}) });
        const state = await store.addTag(contactId, tag, options);
        await this.#profileChanged(contactId);
        return copy(state);
      },
      removeTag: async (contactId, tag) => {
        await this.#require(contactId);
        writes.push({ op: 'removeTag', contactId, tag });
        await store.removeTag(contactId, tag);
        await this.#profileChanged(contactId);
      },
      addToList: async (contactId, list) => {
        await this.#require(contactId);
        writes.push({ op: 'addToList', contactId, list });
        await store.addToList(contactId, list);
        await this.#profileChanged(contactId);
      },
      removeFromList: async (contactId, list) => {
        await this.#require(contactId);
        writes.push({ op: 'removeFromList', contactId, list });
        await store.removeFromList(contactId, list);
        await this.#profileChanged(contactId);
      },
      recordEvent: async (contactId, name, properties: JsonObject = {}) => {
        await this.#require(contactId);
        writes.push({ op: 'recordEvent', contactId, name, properties });
        return copy(await store.recordEvent(contactId, name, properties));
      },
      matches: async (contactId, filter, scope) => {
        if (contactId && (await this.#find(contactId))) await this.#readEvents(contactId, eventNamesIn(filter));
        return store.matches(contactId, filter, scope);
      },
    };
  }
}
