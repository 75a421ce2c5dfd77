/**
 * @waymark/sdk — everything a node package may import.
 *
 * @example
 * import { defineNode, definePackage } from '@waymark/sdk';
 * export default definePackage({ name: '@acme/waymark-nodes', version: '1.0.0', nodes: [shout] });
 */
export type {
  CategorySubscription,
  Channel,
  ChannelConsent,
  ConsentStatus,
  Contact,
  ContactEvent,
  EmailUndeliverable,
  ListMembership,
  MergedFrom,
  SubscriptionStatus,
  TagState,
} from './contact.js';
export {
  attributeSourceSchema,
  isBlank,
  listSchema,
  NAME_MAX_LENGTH,
  NOT_BLANK_PATTERN,
  refuseBadName,
  refuseBlankName,
  refuseLongTtl,
  subscriptionCategorySchema,
  tagSchema,
} from './contact.js';
export type {
  EventWaitResult,
  NextResult,
  NodeContext,
  Resume,
  RunInfo,
  RunResult,
  TimeWaitResult,
} from './context.js';
export {
  type AnyNodeDefinition,
  type DynamicNodeDefinition,
  declaredOutputsOf,
  defineNode,
  hasErrorOutput,
  type NodeDefinition,
  type NodeKind,
  outputsOf,
  type ParamsOf,
  type ParamsSchema,
  paramsProblems,
  type StaticNodeDefinition,
  triggerOutputOf,
} from './define-node.js';
export {
  type CredentialDefinition,
  defineCredential,
  definePackage,
  type PackageDefinition,
} from './define-package.js';
export {
  ConflictError,
  type ErrorDetail,
  isRetryable,
  NodeError,
  type NodeErrorOptions,
  NotFoundError,
  RateLimitedError,
  RetryableError,
  type RetryableErrorOptions,
  ValidationError,
  WaymarkError,
} from './errors.js';
export { eventNameProblem, eventNameSchema, refuseBadEventName } from './event-name.js';
export { evaluateFilter, type FilterData, mentionsClause } from './filter/evaluate.js';
export type * from './filter/types.js';
export { type FilterContext, filterSchema, RESERVED_NAMES, validateFilter } from './filter/validate.js';
export type { JsonObject, JsonOutput, JsonValue } from './json.js';
export { invalidResult, jsonOutput, type Outcome, toOutcome, unknownOutputs } from './outcome.js';
export { pointerKey } from './pointer.js';
export { redactUrl } from './redact-url.js';
export { isMailbox, type Mailbox, notMailbox, ownMessageId, parseMailbox } from './sending/mailbox.js';
export {
  type CredentialEvents,
  type CredentialSender,
  endpointOf,
  endpointSchema,
  jsonBody,
  type ProviderAnswer,
  type ProviderContext,
  type ProviderEvent,
  type ProviderRequest,
  providerFailure,
  providerRequest,
  type RecipientRefusal,
  recipientRefusalOf,
  recipientRefused,
  type SenderContext,
  safeEqual,
} from './sending/providers.js';
export { retryAfterMs } from './sending/retry-after.js';
export { sendWait } from './sending/send-wait.js';
export type * from './services.js';
export { expectShape, type ShapeOf } from './shape.js';
export { configureEscapeFilters } from './template/escape.js';
export { limitFilters, MAX_FILTER_ARRAY, MAX_FILTER_STRING } from './template/filter-limits.js';
export { jsonStringContent, jsonValue } from './template/json-kind.js';
export {
  LINK_MARK_ATTRIBUTE,
  LINK_MARK_VARIABLE,
  linkMarkComment,
  linkMarkOf,
  markTemplateLinks,
  newLinkMark,
  withoutLinkMarks,
} from './template/links.js';
export { renderParams, templateKind, templateKindOf, templatesIn } from './template/params.js';
export {
  assertTemplateMarkup,
  MAX_TEMPLATE_MARKUP,
  ParamRenderError,
  paramsRenderFailure,
  renderTemplate,
  renderTemplateValue,
  TEMPLATE_LIMITS,
  type TemplateKind,
  type TemplateScope,
  templateError,
  templateErrorCode,
  templateFiles,
  templateReads,
  UNSUBSCRIBE_URL_PLACEHOLDER,
} from './template/template.js';
export {
  addDuration,
  DURATION_BOUND_TEXT,
  DURATION_MAX_SECONDS,
  isDurationWithinBound,
  parseDuration,
  subtractDuration,
} from './time/duration.js';
export { inDailyWindow, isTimeZone, nextWallClockTime, timeZoneName, type Weekday } from './time/wall-clock.js';
export {
  type PollContext,
  type PollItem,
  type PollResult,
  type PollTrigger,
  refuse,
  TRIGGER_REFUSED,
  type TriggerContact,
  type TriggerContext,
  TriggerRefusal,
  type TriggerRequest,
  type TriggerStart,
  type WebhookTrigger,
  type WebhookTriggerResult,
} from './triggers.js';
