import { ValidationError } from './errors.js';
import type { JsonObject } from './json.js';
import { DURATION_BOUND_TEXT, isDurationWithinBound, parseDuration } from './time/duration.js';

export type Channel = 'email' | 'sms';
/** `pending`: a double opt-in awaiting its confirmation click (no marketing mail until then). */
export type ConsentStatus = 'unknown' | 'pending' | 'subscribed' | 'unsubscribed';

export type ChannelConsent = {
  status: ConsentStatus;
  source?: string;
  at?: string;
  /** What a form's consent rests on (source `form:<id>`): the text shown, when and from where. */
  proof?: JsonObject;
};

export type SubscriptionStatus = 'subscribed' | 'unsubscribed';

/**
 * A contact's choice about one marketing category (`"newsletter"`): unsubscribed from it, the
 * contact gets none of that category's marketing messages, and still gets the others.
 */
export type CategorySubscription = {
  status: SubscriptionStatus;
  source?: string;
  at: string;
};

/**
 * The JSON Schema of a marketing category's name: 1–64 letters, digits, `.`, `_` or `-`, the
 * first a letter or digit. Node params naming a category use it, as the API does.
 *
 * @example
 * properties: { subscription: { ...subscriptionCategorySchema, title: 'Subscription category' } }
 */
export const subscriptionCategorySchema = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } as const;

/**
 * The pattern of text that is not blank: at least one character other than whitespace. A
 * schema error for it reads "must not be blank" (schema-details.ts, params-schema.ts).
 */
export const NOT_BLANK_PATTERN = '\\S';

const NOT_BLANK = new RegExp(NOT_BLANK_PATTERN);

/**
 * Whether `text` is blank as `NOT_BLANK_PATTERN` says (empty or only whitespace), for what is
 * checked at run time rather than by a schema: a tag `ctx.contacts.addTag` is given.
 *
 * @example
 * isBlank('  '); // true
 */
export function isBlank(text: string): boolean {
  return !NOT_BLANK.test(text);
}

/**
 * Why `name` is no tag or list name by the rule of `tagSchema` and `listSchema`: `blank`
 * (not text, empty or only whitespace) or `long` (over `NAME_MAX_LENGTH` characters); null
 * when it is one. For what no schema checks: a node's `ctx.contacts` call, a filter's clause.
 *
 * @example
 * nameProblem('  '); // 'blank'
 */
export function nameProblem(name: unknown): 'blank' | 'long' | null {
  if (typeof name !== 'string' || isBlank(name)) return 'blank';
  return name.length > NAME_MAX_LENGTH ? 'long' : null;
}

/**
 * Refuses what the API refuses before a node's call reaches the store: a blank tag or list name,
 * or one over `NAME_MAX_LENGTH` characters (as `tagSchema` and `listSchema` have it). A package's
 * node calls `ctx.contacts` with what it computed and no schema saw that, so `ctx.contacts` (and
 * `runNode`'s in-memory one) check here; the step fails for good (`node.failed`), naming the call
 * and the name.
 *
 * @example
 * refuseBadName('addTag', 'tag', '  '); // throws ValidationError: ctx.contacts.addTag: tag "  " must not be blank
 */
export function refuseBadName(call: string, field: 'tag' | 'list', name: unknown): void {
  const problem = nameProblem(name);
  if (problem === 'blank')
    throw new ValidationError(`ctx.contacts.${call}: ${field} ${JSON.stringify(name)} must not be blank`, [
      { path: `/${field}`, message: `/${field} must not be blank` },
    ]);
  if (problem === 'long' && typeof name === 'string')
    throw new ValidationError(
      `ctx.contacts.${call}: ${field} "${name.slice(0, 40)}…" must be at most ${NAME_MAX_LENGTH} characters`,
      [{ path: `/${field}`, message: `/${field} must be at most ${NAME_MAX_LENGTH} characters` }],
    );
}

/**
 * Refuses a tag's `ttl` past the longest duration (1,000 years), as `crm.tag`'s schema does: a
 * package's node computes it where no schema sees it, and past the bound the tag's expiry
 * failed the insert on every retry. `ctx.contacts` and `runNode`'s in-memory one check here.
 *
 * @example
 * refuseLongTtl('P300000Y'); // throws ValidationError: ctx.contacts.addTag: ttl "P300000Y" must be at most 1000 years
 */
export function refuseLongTtl(ttl: string): void {
  const ms = parseDuration(ttl);
  if (ms !== null && !isDurationWithinBound(ms))
    throw new ValidationError(`ctx.contacts.addTag: ttl "${ttl}" must be at most 1000 years`, [
      { path: '/ttl', message: `/ttl must be ${DURATION_BOUND_TEXT}` },
    ]);
}

/**
 * The name `refuseBadName` had before it refused over-long names too, kept for packages that
 * import it.
 *
 * @deprecated Use `refuseBadName`.
 * @example
 * refuseBlankName('addTag', 'tag', ''); // throws, as refuseBadName does
 */
export const refuseBlankName = refuseBadName;

/**
 * The most characters of a tag's or a list's name: it is an index key, and PostgreSQL refuses
 * one over about 2.7 kB (text that does not compress reaches it at a few thousand characters).
 */
export const NAME_MAX_LENGTH = 255;

/**
 * The JSON Schema of a tag's name: text that is not empty and not only whitespace (`"  "` is
 * refused, "must not be blank"; a name is stored as given, never trimmed), at most
 * `NAME_MAX_LENGTH` characters. Every place a tag is written from outside uses it: the API,
 * node params, forms, tracked links.
 *
 * @example
 * properties: { tag: { ...tagSchema, title: 'Tag' } }
 */
export const tagSchema = { type: 'string', pattern: NOT_BLANK_PATTERN, maxLength: NAME_MAX_LENGTH } as const;

/**
 * The JSON Schema of a static list's name: as `tagSchema`, text that is not empty and not only
 * whitespace, stored as given, at most `NAME_MAX_LENGTH` characters. Every place a contact is added to a list from outside uses it:
 * the API, node params, forms, tracked links.
 *
 * @example
 * properties: { list: { ...listSchema, title: 'List' } }
 */
export const listSchema = { type: 'string', pattern: NOT_BLANK_PATTERN, maxLength: NAME_MAX_LENGTH } as const;

/**
 * The JSON Schema of a contact write's source (`crm`, `webshop` …): 1–64 of `a-z 0-9 . _ -`.
 * Node params naming the source their writes carry use it, as the API does.
 *
 * @example
 * properties: { source: { ...attributeSourceSchema, title: 'Source' } }
 */
export const attributeSourceSchema = { type: 'string', pattern: '^[a-z0-9._-]{1,64}$' } as const;

/**
 * Why mail to a contact's address is suppressed: a delivery report said it cannot be reached
 * (a hard bounce, or three soft ones in a row). A new address or an explicit API update clears it.
 */
export type EmailUndeliverable = {
  reason: 'bounced';
  /** The report's enhanced status code (`5.1.1`). */
  status: string | null;
  at: string;
};

/** A tag on a contact: how often it was added, when, and whether it is active now. */
export type TagState = {
  tag: string;
  count: number;
  firstAddedAt: string;
  lastAddedAt: string;
  expiresAt: string | null;
  active: boolean;
};

export type ListMembership = {
  list: string;
  addedAt: string;
};

/** A contact merged into another, with the identity values it held (contract identity.md). */
export type MergedFrom = {
  id: string;
  email: string | null;
  phone: string | null;
  externalId: string | null;
  automatic: boolean;
  mergedAt: string;
  reversibleUntil: string;
  /**
   * Set on a contact merged into another one that was merged here since: that one's id. It
   * names this contact too, and an unmerge of that one takes it along.
   */
  via?: string;
};

/** One person in the contact store, as nodes and the API see it. */
export type Contact = {
  id: string;
  email: string | null;
  phone: string | null;
  externalId: string | null;
  timezone: string | null;
  attributes: JsonObject;
  consent: { email: ChannelConsent; sms: ChannelConsent };
  /** Per marketing category (`{ "newsletter": { "status": "unsubscribed", … } }`); none chosen: `{}`. */
  subscriptions?: Record<string, CategorySubscription>;
  /** Set while the contact's email address bounced (mail to it is suppressed); else null. */
  emailUndeliverable?: EmailUndeliverable | null;
  tags: TagState[];
  lists: ListMembership[];
  /** Every defined computed attribute's value (null while first computed). */
  computed?: JsonObject;
  /** Per top-level attribute, the source and time of the write that set its value. */
  attributeSources?: Record<string, { source: string; at: string }>;
  /** Contacts merged into this one, newest first. */
  mergedFrom?: MergedFrom[];
  createdAt: string;
  updatedAt: string;
};

/**
 * An event stored on a contact. The SDK's data types are type aliases, not interfaces, so that
 * they are `JsonValue`s: a node puts `ctx.resume.event` or a contact in its `output` as it is.
 */
export type ContactEvent = {
  id: string;
  contactId: string;
  name: string;
  properties: JsonObject;
  timestamp: string;
};
