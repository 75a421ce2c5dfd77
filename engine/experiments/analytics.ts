import { outputsOf, ValidationError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { dictionary } from '../graph/dictionary.js';
import type { JourneyGoal } from '../graph/types.js';
import { getVersion, publishedVersionOf } from '../journeys/versions.js';
import type { NodeRegistry } from '../registry/registry.js';
import { journeyStats } from '../runs/stats.js';
import { defaultedParams, definitionOf } from '../runs/versions.js';
import { triggerNodes } from './analytics-triggers.js';
import type {
  Bucket,
  JourneyAnalytics,
  MessageMetric,
  MessageTotals,
  NodeSeriesMetric,
  NodeTotals,
} from './analytics-types.js';
import { isoTime } from './iso-time.js';

export const MAX_BUCKETS = 2400;
const BUCKET_MS: Record<Bucket, number> = { hour: 3_600_000, day: 86_400_000 };
const MESSAGE_METRICS = [
  'sent',
  'failed',
  'opened',
  'clicked',
  'replied',
  'bounced',
  'unsubscribed',
] as const satisfies readonly MessageMetric[];
const NODE_SERIES = ['entered', 'completed', 'failed', 'converted'] as const satisfies readonly NodeSeriesMetric[];

export interface AnalyticsQuery {
  from?: string;
  to?: string;
  bucket?: string;
  version?: number;
}

type Counts = Record<string, number>;
type MessageSeries = JourneyAnalytics['series']['messages'][string];

/** Adds n to a series at a bucket's index (a missing series counts nothing). */
function add(series: number[] | undefined, at: number, n: number): void {
  if (series && at >= 0 && at < series.length) series[at] = (series[at] ?? 0) + n;
}

/** The query's range, rounded out to whole UTC buckets (`to` exclusive); 400 when it is not one. */
export function analyticsRange(query: AnalyticsQuery, now: Date): { from: Date; to: Date; bucket: Bucket } {
  const bad = (path: string, message: string) =>
    new ValidationError('the query is invalid', [{ path, message: `querystring${path} ${message}` }]);
  const bucket = (query.bucket ?? 'hour') as Bucket;
  // Own keys only: `in` also finds the prototype's (`toString`, `constructor`), which are no bucket.
  if (!Object.hasOwn(BUCKET_MS, bucket)) throw bad('/bucket', 'must be "hour" or "day"');
  const parse = (text: string | undefined, path: string, fallback: Date) => {
    if (text === undefined) return fallback;
    const at = isoTime(text);
    if (!at) throw bad(path, 'must be an ISO 8601 date-time such as 2026-12-01T00:00:00Z');
    return at;
  };
  const size = BUCKET_MS[bucket];
  const rawTo = parse(query.to, '/to', now);
  const rawFrom = parse(query.from, '/from', new Date(rawTo.getTime() - 7 * 86_400_000));
  if (rawFrom.getTime() >= rawTo.getTime()) throw bad('/from', 'must be before to');
  const from = new Date(Math.floor(rawFrom.getTime() / size) * size);
  const to = new Date(Math.ceil(rawTo.getTime() / size) * size);
  if ((to.getTime() - from.getTime()) / size > MAX_BUCKETS)
    throw bad('/to', `spans more than ${MAX_BUCKETS} ${bucket}s; narrow the range or use a larger bucket`);
  return { from, to, bucket };
}

/**
 * `GET /api/journeys/:id/analytics`: per node, output and message node, totals over the
 * range and one series per bucket, all summed from the hourly rollups (never from steps);
 * `waiting` is the node counters' current figure.
 *
 * @example
 * await journeyAnalytics(db, registry, workspaceId, journeyId, { bucket: 'day' }, new Date())
 */
export async function journeyAnalytics(
  db: Kysely<Database>,
  registry: NodeRegistry,
  workspaceId: string,
  journeyId: string,
  query: AnalyticsQuery,
  now: Date,
): Promise<JourneyAnalytics> {
  const { from, to, bucket } = analyticsRange(query, now);
  const shown = query.version ?? (await publishedVersionOf(db, workspaceId, journeyId));
  const version = shown ? await getVersion(db, workspaceId, journeyId, shown) : null;
  const size = BUCKET_MS[bucket];
  const triggers = await triggerNodes(db, registry, journeyId, query.version);
  // Bucket indexes and numbers, not timestamps and bigint strings: 90 days of hours is 2,160
  // rows per (node, metric), and parsing them is most of the read's cost.
  const bucketOf = sql`floor(extract(epoch from hour - ${from}::timestamptz) * 1000 / ${size})::int`;
  const inRange = sql`workspace_id = ${workspaceId} and journey_id = ${journeyId} and hour >= ${from} and hour < ${to}
      and version <> 0 and (${query.version ?? null}::int is null or version = ${query.version ?? null}::int)`;
  // Runs started: the steps entered at each version's own trigger nodes (the run's first step).
  const { rows } = await sql<{ node_id: string; output: string; metric: string; at: number; n: number }>`
    select node_id, output, metric, ${bucketOf} as at, sum(n)::float8 as n
    from journey_rollups where ${inRange}
    group by 1, 2, 3, 4
    union all
    select '', '', 'started', ${bucketOf}, sum(n)::float8
    from journey_rollups
    where ${inRange} and metric = 'entered' and output = ''
      and (version, node_id) in (select * from unnest(${triggers.versions}::int[], ${triggers.nodeIds}::text[]))
    group by 4
  `.execute(db);
  const count = Math.round((to.getTime() - from.getTime()) / size);
  const buckets = Array.from({ length: count }, (_, i) => new Date(from.getTime() + i * size).toISOString());
  const zeros = () => new Array<number>(count).fill(0);
  const stats = await journeyStats(db, journeyId, query.version);

  // Keyed by node ids and output keys, which the journey's author names.
  const nodeTotals = dictionary<NodeTotals>();
  const nodeSeries = dictionary<Record<NodeSeriesMetric, number[]>>();
  const outputs = dictionary<Record<string, { taken: number; converted: number }>>();
  const messages = dictionary<MessageTotals>();
  const messageSeries = dictionary<MessageSeries>();
  const runs = { started: 0, converted: 0 };
  const runSeries = { started: zeros(), converted: zeros() };

  const ensureNode = (id: string) => {
    nodeTotals[id] ??= {
      entered: 0,
      completed: 0,
      failed: 0,
      waiting: Math.max(0, stats.nodes[id]?.waiting ?? 0),
      converted: 0,
    };
    nodeSeries[id] ??= Object.fromEntries(NODE_SERIES.map((m) => [m, zeros()])) as Record<NodeSeriesMetric, number[]>;
    return { totals: nodeTotals[id] as Counts, series: nodeSeries[id] as Record<string, number[]> };
  };
  const ensureMessages = (id: string) => {
    messages[id] ??= { ...Object.fromEntries(MESSAGE_METRICS.map((m) => [m, 0])), suppressed: {} } as never;
    messageSeries[id] ??= Object.fromEntries(
      [...MESSAGE_METRICS.filter((m) => m !== 'failed'), 'suppressed'].map((m) => [m, zeros()]),
    ) as MessageSeries;
    return {
      totals: messages[id] as MessageTotals,
      series: messageSeries[id] as Record<string, number[]>,
    };
  };
  for (const node of version?.graph.nodes ?? []) {
    ensureNode(node.id);
    const definition = definitionOf(registry, node);
    // Listed whatever their figures: the nodes that say they send.
    if (definition?.sendsMessages) ensureMessages(node.id);
    if (definition) {
      outputs[node.id] = dictionary(
        outputsOf(definition, defaultedParams(definition, node.params)).map((o) => [o, { taken: 0, converted: 0 }]),
      );
    }
  }

  for (const row of rows) {
    const { n, at } = row;
    if (row.node_id === '') {
      if (row.metric === 'converted' || row.metric === 'started') {
        runs[row.metric] += n;
        add(runSeries[row.metric], at, n);
      }
      continue;
    }
    if (row.output !== '') {
      const node = outputs[row.node_id] ?? dictionary();
      outputs[row.node_id] = node;
      const out = node[row.output] ?? { taken: 0, converted: 0 };
      node[row.output] = out;
      if (row.metric === 'taken' || row.metric === 'converted') out[row.metric] += n;
      continue;
    }
    if ((NODE_SERIES as readonly string[]).includes(row.metric)) {
      const node = ensureNode(row.node_id);
      (node.totals[row.metric] as number) += n;
      add(node.series[row.metric], at, n);
      continue;
    }
    const metric = row.metric === 'failed-message' ? 'failed' : row.metric;
    if (metric.startsWith('suppressed:')) {
      const m = ensureMessages(row.node_id);
      const reason = metric.slice('suppressed:'.length);
      m.totals.suppressed[reason] = (m.totals.suppressed[reason] ?? 0) + n;
      add(m.series.suppressed, at, n);
    } else if ((MESSAGE_METRICS as readonly string[]).includes(metric)) {
      const m = ensureMessages(row.node_id);
      m.totals[metric as MessageMetric] += n;
      add(m.series[metric], at, n);
    }
  }

  return {
    journeyId,
    version: query.version ?? null,
    bucket,
    from: from.toISOString(),
    to: to.toISOString(),
    goal: (version?.settings.goal ?? null) as JourneyGoal | null,
    runs,
    nodes: nodeTotals,
    outputs,
    messages,
    series: { buckets, runs: runSeries, nodes: nodeSeries, messages: messageSeries },
  };
}
