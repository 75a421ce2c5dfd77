import { versionNumber } from '../../schemas/version-number.js';
import { journeyIdParams } from './schemas.js';

const count = { type: 'integer' } as const;
const numOrNull = { type: ['number', 'null'] } as const;
const interval = { type: ['array', 'null'], items: { type: 'number' }, minItems: 2, maxItems: 2 } as const;
const series = { type: 'array', items: count } as const;
const mapOf = (value: object) => ({ type: 'object', additionalProperties: value }) as const;
const counts = (names: readonly string[]) =>
  ({ type: 'object', properties: Object.fromEntries(names.map((n) => [n, count])), required: names }) as const;
const seriesOf = (names: readonly string[]) =>
  ({ type: 'object', properties: Object.fromEntries(names.map((n) => [n, series])), required: names }) as const;

const goal = {
  type: ['object', 'null'],
  properties: {
    event: { type: 'string' },
    filter: { type: 'object', additionalProperties: true },
    windowSeconds: count,
    exitOnGoal: { type: 'boolean' },
  },
} as const;

export const analyticsQuery = {
  type: 'object',
  properties: {
    from: { type: 'string', description: 'ISO date-time; default `to` − 7 days; rounded down to a bucket' },
    to: { type: 'string', description: 'ISO date-time; default now; rounded up to a bucket, exclusive' },
    bucket: { type: 'string', description: '`hour` (default) or `day`, in UTC' },
    version: { ...versionNumber, description: 'default: every version together' },
  },
  additionalProperties: false,
} as const;

const messageNames = ['sent', 'failed', 'opened', 'clicked', 'replied', 'bounced', 'unsubscribed'];

export const analyticsSchema = {
  type: 'object',
  properties: {
    journeyId: { type: 'string', format: 'uuid' },
    version: { type: ['integer', 'null'] },
    bucket: { type: 'string', enum: ['hour', 'day'] },
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    goal,
    runs: counts(['started', 'converted']),
    nodes: mapOf(counts(['entered', 'completed', 'failed', 'waiting', 'converted'])),
    outputs: mapOf(mapOf(counts(['taken', 'converted']))),
    messages: mapOf({
      ...counts(messageNames),
      properties: { ...counts(messageNames).properties, suppressed: mapOf(count) },
      required: [...messageNames, 'suppressed'],
    }),
    series: {
      type: 'object',
      properties: {
        buckets: { type: 'array', items: { type: 'string', format: 'date-time' } },
        runs: seriesOf(['started', 'converted']),
        nodes: mapOf(seriesOf(['entered', 'completed', 'failed', 'converted'])),
        messages: mapOf(seriesOf(['sent', 'suppressed', 'opened', 'clicked', 'replied', 'bounced', 'unsubscribed'])),
      },
      required: ['buckets', 'runs', 'nodes', 'messages'],
    },
  },
  required: ['journeyId', 'version', 'bucket', 'from', 'to', 'goal', 'runs', 'nodes', 'outputs', 'messages', 'series'],
} as const;

const figure = {
  type: 'object',
  properties: { key: { type: 'string' }, entered: count, converted: count, rate: numOrNull },
  required: ['key', 'entered', 'converted', 'rate'],
} as const;

const decision = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: ['winner', 'no-winner', 'override'] },
    variant: { type: ['string', 'null'] },
    at: { type: 'string', format: 'date-time' },
    method: { type: 'string', enum: ['two-proportion-z', 'manual'] },
    metric: { type: 'string', enum: ['goal', 'click', 'open'] },
    confidence: { type: 'number' },
    pValue: numOrNull,
    reason: { type: 'string', enum: ['too-few-contacts', 'not-significant'] },
    figures: { type: 'array', items: figure },
    clearedAt: { type: ['string', 'null'], format: 'date-time' },
  },
  required: ['kind', 'variant', 'at', 'method', 'metric', 'confidence', 'pValue', 'figures', 'clearedAt'],
} as const;

export const experimentSchema = {
  type: 'object',
  properties: {
    nodeId: { type: 'string' },
    metric: { type: 'string', enum: ['goal', 'click', 'open'] },
    baseline: { type: 'string' },
    confidence: { type: 'number' },
    status: { type: 'string', enum: ['testing', 'no-winner', 'winner', 'override'] },
    startedAt: { type: ['string', 'null'], format: 'date-time' },
    endsAt: { type: ['string', 'null'], format: 'date-time' },
    winner: {
      type: ['object', 'null'],
      properties: {
        metric: { type: 'string' },
        after: { type: 'string' },
        minPerVariant: count,
        confidence: { type: 'number' },
      },
    },
    decision: { ...decision, type: ['object', 'null'] },
    history: { type: 'array', items: decision },
    routed: count,
    test: {
      type: 'object',
      properties: {
        name: { type: 'string', enum: ['chi-squared', 'two-proportion-z'] },
        statistic: numOrNull,
        df: { type: ['integer', 'null'] },
        pValue: numOrNull,
        significant: { type: 'boolean' },
      },
      required: ['name', 'statistic', 'df', 'pValue', 'significant'],
    },
    sample: {
      type: 'object',
      properties: {
        lift: { type: 'number' },
        power: { type: 'number' },
        neededPerVariant: { type: ['integer', 'null'] },
        moreNeededPerVariant: { type: ['integer', 'null'] },
      },
      required: ['lift', 'power', 'neededPerVariant', 'moreNeededPerVariant'],
    },
    variants: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          key: { type: 'string' },
          weight: { type: 'number' },
          entered: count,
          converted: count,
          rate: numOrNull,
          ci95: interval,
          upliftAbsolute: numOrNull,
          upliftRelative: numOrNull,
          upliftCi95: interval,
          test: { type: ['string', 'null'], enum: ['two-proportion-z', null] },
          pValue: numOrNull,
          significant: { type: 'boolean' },
        },
        required: [
          'key',
          'weight',
          'entered',
          'converted',
          'rate',
          'ci95',
          'upliftAbsolute',
          'upliftRelative',
          'upliftCi95',
          'test',
          'pValue',
          'significant',
        ],
      },
    },
  },
  required: [
    'nodeId',
    'metric',
    'baseline',
    'confidence',
    'status',
    'startedAt',
    'endsAt',
    'winner',
    'decision',
    'history',
    'routed',
    'test',
    'sample',
    'variants',
  ],
} as const;

export const experimentsSchema = {
  type: 'object',
  properties: {
    journeyId: { type: 'string', format: 'uuid' },
    experiments: { type: 'array', items: experimentSchema },
  },
  required: ['journeyId', 'experiments'],
} as const;

export const experimentsQuery = {
  type: 'object',
  properties: { metric: { type: 'string', description: '`goal`, `click` or `open`; default the split’s own' } },
  additionalProperties: false,
} as const;

export const winnerParams = {
  type: 'object',
  properties: { ...journeyIdParams.properties, nodeId: { type: 'string', minLength: 1 } },
  required: ['id', 'nodeId'],
} as const;

export const winnerBody = {
  type: 'object',
  properties: { variant: { type: 'string', description: 'a variant key of the node' } },
  required: ['variant'],
  additionalProperties: false,
} as const;
