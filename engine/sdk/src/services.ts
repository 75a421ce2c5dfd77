import type { Channel, Contact, ContactEvent, TagState } from './contact.js';
import type { Filter } from './filter/types.js';
import type { JsonObject, JsonValue } from './json.js';
import type { TemplateScope } from './template/template.js';

/**
 * The contact store as a node sees it. Every call acts on one contact, the run's own (or an
 * id merged into it): another contact's id is refused with a `not_found` error. The engine
 * scopes writes to the running step (inline steps share its transaction).
 */
export interface ContactsService {
  /** The contact as stored now, or null when it was erased. */
  get(contactId: string): Promise<Contact | null>;
  /**
   * Merges attributes key by key (a null value removes the key) and returns the contact. The
   * write names `source` (1–64 of `a-z 0-9 . _ -`; default the run's: its `core.webhook`
   * trigger's `source` param, else `"journey"`) and follows the workspace's precedence lists
   * (`/api/settings/attribute-sources`): a key whose value a higher-ranking source set is left
   * as it is, the rest of the write applies.
   *
   * @example
   * // The CRM ranks above the webshop for `plan`: this write keeps a CRM-set plan, sets the rest.
   * await ctx.contacts.update(ctx.contact.id, { attributes: { plan: 'pro', cart: 2 }, source: 'webshop' });
   */
  update(
    contactId: string,
    patch: { attributes?: JsonObject; timezone?: string | null; source?: string },
  ): Promise<Contact>;
  /** Adds a tag (count + 1, reactivated); `ttl` is an ISO 8601 duration, default the tag's lifespan. */
  addTag(contactId: string, tag: string, options?: { ttl?: string }): Promise<TagState>;
  /** Turns a tag inactive; its count stays. */
  removeTag(contactId: string, tag: string): Promise<void>;
  addToList(contactId: string, list: string): Promise<void>;
  removeFromList(contactId: string, list: string): Promise<void>;
  /** Records an event on the contact, with everything an event sets off (waits, triggers, exits). */
  recordEvent(contactId: string, name: string, properties?: JsonObject): Promise<ContactEvent>;
  /**
   * Evaluates a filter for one contact. `trigger` and `steps` clauses read the scope given;
   * `event` clauses count the contact's stored events.
   */
  matches(contactId: string | null, filter: Filter, scope: FilterScope): Promise<boolean>;
}

/** What `trigger` and `step` clauses of a filter read. */
export interface FilterScope {
  trigger: JsonObject;
  steps: Record<string, { output: JsonValue }>;
}

export type MessageCategory = 'marketing' | 'transactional';
export type MessageStatus = 'queued' | 'delayed' | 'sent' | 'suppressed' | 'failed';
/**
 * `holdout`: the token took a split's `control` output (a true holdout sends nothing).
 * `provider-suppressed`: the provider refused the recipient as inactive (`RecipientRefusal`).
 */
export type SuppressionReason =
  | 'frequency-cap'
  | 'unsubscribed'
  | 'no-consent'
  | 'bounced'
  | 'complained'
  | 'holdout'
  | 'provider-suppressed';

/** A link of an email that carries a key, and what a click on it applies to the contact. */
export interface TrackedLinkSpec {
  key: string;
  addTags?: string[];
  addLists?: string[];
}

/** A message after the engine prepared it: tracked links, pixel, unsubscribe headers. */
export interface PreparedMessage {
  messageId: string;
  channel: string;
  /** Marketing or transactional (a provider may send them on separate streams). */
  category?: MessageCategory;
  to: string;
  from?: string;
  replyTo?: string;
  /** The SMTP envelope sender (Return-Path) that delivery reports go back to, when Waymark takes them. */
  envelopeFrom?: string;
  subject?: string;
  html?: string;
  text?: string;
  headers: Record<string, string>;
  /**
   * The From domain's DKIM key (an `email.dkim` credential), set by the engine for email: an
   * SMTP sender signs with it (nodemailer's `dkim` option takes it as it is), covering the
   * `headerFieldNames` (colon-separated).
   */
  dkim?: { domainName: string; keySelector: string; privateKey: string; headerFieldNames: string };
}

export interface SendRequest {
  /** `email`, `sms`, or a third-party channel name. Contact rules span every channel. */
  channel: Channel | (string & {});
  category: MessageCategory;
  /**
   * The marketing category the message belongs to (`"newsletter"`): a contact unsubscribed
   * from it gets none of it (suppressed, reason `unsubscribed`). Ignored for transactional.
   */
  subscription?: string;
  /** Defaults to the contact's email (email) or phone (sms). */
  to?: string;
  from?: string;
  replyTo?: string;
  subject?: string;
  html?: string;
  text?: string;
  headers?: Record<string, string>;
  links?: TrackedLinkSpec[];
  /**
   * A stored email template to render instead of `html` and `text` (email only): at
   * `version`, else its latest; `subject`, when given, replaces the template's. `scope` is
   * what its Liquid sees (the step's `contact`, `trigger`, `steps`, `run`); the engine adds
   * `unsubscribeUrl`. A template that fails Liquid fails the step at once.
   */
  template?: { id: string; version?: number; scope: TemplateScope };
  /**
   * Delivers the prepared message (SMTP, a gateway call). Omitted for email, the engine's
   * default transport is used: `SMTP_URL`, or the built-in outbox.
   */
  deliver?: (message: PreparedMessage) => Promise<{ providerId?: string } | undefined>;
  /**
   * A sending credential's id (a type with a `sender` of this channel, API.md "Sending
   * credentials"): the engine delivers through it. Instead of `deliver`.
   */
  credential?: string;
}

export interface SendResult {
  messageId: string;
  status: MessageStatus;
  reason?: SuppressionReason | 'quiet-hours' | 'send-rate';
  /**
   * With status `delayed`: when quiet hours end, or when a send rate lets the message go; return
   * `{ wait: { until } }` and send again on resume.
   */
  until?: Date;
}

/**
 * Sends through the contact rules: consent, bounces, frequency caps and quiet hours hold
 * here whatever node sends. Calling it twice with one step's idempotency key sends once.
 */
export interface MessagesService {
  send(request: SendRequest): Promise<SendResult>;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Milliseconds for the whole request, DNS lookups and redirects included; default 10 000. */
  timeoutMs?: number;
  /** Largest response body read, in bytes; default 1 MiB. A longer one is cut (`truncated`). */
  maxBytes?: number;
  /**
   * Redirects (301, 302, 303, 307, 308 with a `Location`) followed, at most; default 0: a
   * redirect is the answer. Followed as fetch follows them: each hop held to the private-address
   * rule, a POST turned GET by 301/302 and anything but GET/HEAD by 303, `Authorization`,
   * `Cookie` and `Proxy-Authorization` dropped for another origin. One more throws a
   * non-retryable `NodeError`, code `http.too-many-redirects`.
   */
  maxRedirects?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed when the response is JSON, else text; with `truncated`, the first `maxBytes` as text. */
  body: JsonValue;
  /** Set when the body was longer than `maxBytes` and was cut there, unread past it. */
  truncated?: true;
  /** The URL that gave this answer, set when a redirect was followed to it. */
  url?: string;
}

/**
 * Outgoing HTTP that refuses loopback, private and link-local targets after DNS resolution
 * (unless `WAYMARK_HTTP_ALLOW_PRIVATE=true`) and connects to the address it checked.
 * Sends the step's idempotency key as `Idempotency-Key`. A refused target throws a
 * non-retryable `NodeError`; a timeout or connection error throws a `RetryableError`.
 */
export interface HttpClient {
  request(request: HttpRequest): Promise<HttpResponse>;
}

/** Decrypted credentials, only of the types the node declares. */
export interface CredentialsService {
  get<T extends JsonObject = JsonObject>(credentialId: string): Promise<T>;
}

export type Lead = {
  id: string;
  title: string;
  contactId: string | null;
  owner: string;
  status: 'open' | 'won' | 'lost';
  createdAt: string;
};

/** Leads for salespeople; round-robin assignment is kept by the engine across processes. */
export interface LeadsService {
  create(input: { title: string; owners: string[]; assign: 'round-robin' | 'first' }): Promise<Lead>;
}

/** A pino-compatible logger bound to the step. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}
