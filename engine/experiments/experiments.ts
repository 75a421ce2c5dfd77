import { addDuration, NotFoundError, parseDuration, ValidationError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { GraphNode, JourneySettings } from '../graph/types.js';
import { publishedVersionOf } from '../journeys/versions.js';
import { SPLIT_TYPE, splitParams } from './decisions.js';
import { figures } from './figures.js';
import type { Decision, Experiment, Metric, VariantCount, WinnerParam } from './types.js';

export const METRICS: readonly Metric[] = ['goal', 'click', 'open'];

interface SplitParams {
  variants: { key: string; weight: number }[];
  winner?: Partial<WinnerParam> & { after: string };
}

/** The newest published version's split nodes and settings; 404 for an unknown journey. */
async function publishedSplits(
  db: Kysely<Database>,
  workspaceId: string,
  journeyId: string,
): Promise<{ splits: GraphNode[]; settings: JourneySettings | null }> {
  const published = await publishedVersionOf(db, workspaceId, journeyId);
  if (published === null) return { splits: [], settings: null };
  const version = await db
    .selectFrom('journey_versions')
    .select(['graph', 'settings'])
    .where('journey_id', '=', journeyId)
    .where('version', '=', published)
    .executeTakeFirstOrThrow();
  return { splits: version.graph.nodes.filter((n) => n.type === SPLIT_TYPE), settings: version.settings };
}

const winnerOf = (node: GraphNode): WinnerParam | null => {
  const w = splitParams<SplitParams>(node).winner;
  return w
    ? {
        metric: w.metric ?? 'goal',
        after: w.after,
        minPerVariant: w.minPerVariant ?? 100,
        confidence: w.confidence ?? 0.95,
      }
    : null;
};

/** When a test period started at `startedAt` ends by `winner.after`; null for an unreadable duration. */
export const testPeriodEnd = (startedAt: Date | string, after: string): Date | null =>
  parseDuration(after) === null ? null : addDuration(new Date(startedAt), after);

const iso = (t: unknown) => (t === null || t === undefined ? null : new Date(t as string).toISOString());

type DecisionRow = {
  node_id: string;
  kind: Decision['kind'];
  variant: string | null;
  at: Date;
  method: Decision['method'];
  metric: Metric;
  confidence: number;
  p_value: number | null;
  reason: Decision['reason'] | null;
  figures: Decision['figures'];
  cleared_at: Date | null;
};

const toDecision = (r: DecisionRow): Decision => ({
  kind: r.kind,
  variant: r.variant,
  at: iso(r.at) as string,
  method: r.method,
  metric: r.metric,
  confidence: r.confidence,
  pValue: r.p_value,
  ...(r.reason ? { reason: r.reason } : {}),
  figures: r.figures,
  clearedAt: iso(r.cleared_at),
});

/** Units per (node, variant, metric) of a journey's splits, all versions together, from the rollups. */
async function splitCounts(db: Kysely<Database>, workspaceId: string, journeyId: string) {
  const { rows } = await sql<{ node_id: string; variant: string; metric: string; n: string }>`
    select node_id, variant, metric, sum(n)::bigint as n from journey_rollups
    where workspace_id = ${workspaceId} and journey_id = ${journeyId} and metric in ('unit-entered', 'unit-goal', 'unit-click', 'unit-open', 'routed')
    group by 1, 2, 3
  `.execute(db);
  const counts = new Map<string, number>();
  // Routed entries are counted all time: those to a variant a later version dropped too.
  const routed = new Map<string, number>();
  for (const r of rows) {
    counts.set(`${r.node_id}\u0000${r.variant}\u0000${r.metric}`, Number(r.n));
    if (r.metric === 'routed') routed.set(r.node_id, (routed.get(r.node_id) ?? 0) + Number(r.n));
  }
  return {
    count: (nodeId: string, variant: string, metric: string) =>
      counts.get(`${nodeId}\u0000${variant}\u0000${metric}`) ?? 0,
    routed: (nodeId: string) => routed.get(nodeId) ?? 0,
  };
}

type SplitCounts = Awaited<ReturnType<typeof splitCounts>>;

/** Builds one experiment from what was read. */
function experimentOf(
  node: GraphNode,
  metric: Metric,
  { count, routed }: SplitCounts,
  decisions: DecisionRow[],
  startedAt: Date | null,
): Experiment {
  const params = splitParams<SplitParams>(node);
  const winner = winnerOf(node);
  const confidence = winner?.confidence ?? 0.95;
  const unitMetric = `unit-${metric}`;
  const counts: VariantCount[] = params.variants.map((v) => ({
    key: v.key,
    weight: v.weight,
    entered: count(node.id, v.key, 'unit-entered'),
    converted: count(node.id, v.key, unitMetric),
  }));
  const f = figures(counts, confidence);
  const history = decisions.map(toDecision);
  const standing = history.find((d) => d.clearedAt === null) ?? null;
  return {
    nodeId: node.id,
    metric,
    baseline: f.baseline,
    confidence,
    status: standing ? standing.kind : 'testing',
    startedAt: iso(startedAt),
    endsAt: startedAt && winner ? (testPeriodEnd(startedAt, winner.after)?.toISOString() ?? null) : null,
    winner,
    decision: standing,
    history,
    routed: routed(node.id),
    test: f.test,
    sample: f.sample,
    variants: f.variants,
  };
}

/**
 * `GET /api/journeys/:id/experiments`: one experiment per split of the newest published
 * version, in graph order. `metric` overrides each split's (contract "Figures").
 *
 * @example
 * await journeyExperiments(db, workspaceId, journeyId, 'click') // { journeyId, experiments: [{ nodeId: 'ab', … }] }
 */
export async function journeyExperiments(
  db: Kysely<Database>,
  workspaceId: string,
  journeyId: string,
  metric?: string,
) {
  if (metric !== undefined && !METRICS.includes(metric as Metric))
    throw new ValidationError('the query is invalid', [
      { path: '/metric', message: 'querystring/metric must be goal, click or open' },
    ]);
  const { splits, settings } = await publishedSplits(db, workspaceId, journeyId);
  return {
    journeyId,
    experiments: await experimentsOf(db, workspaceId, journeyId, splits, settings, metric as Metric | undefined),
  };
}

async function experimentsOf(
  db: Kysely<Database>,
  workspaceId: string,
  journeyId: string,
  splits: GraphNode[],
  settings: JourneySettings | null,
  metric: Metric | undefined,
): Promise<Experiment[]> {
  if (splits.length === 0) return [];
  const [counts, decisions, tests] = await Promise.all([
    splitCounts(db, workspaceId, journeyId),
    sql<DecisionRow>`
      select node_id, kind, variant, at, method, metric, confidence, p_value, reason, figures, cleared_at
      from split_decisions where workspace_id = ${workspaceId} and journey_id = ${journeyId} order by at, id`.execute(
      db,
    ),
    sql<{ node_id: string; started_at: Date }>`
      select node_id, started_at from split_tests where workspace_id = ${workspaceId} and journey_id = ${journeyId}`.execute(
      db,
    ),
  ]);
  return splits.map((node) =>
    experimentOf(
      node,
      metric ?? winnerOf(node)?.metric ?? (settings?.goal ? 'goal' : 'click'),
      counts,
      decisions.rows.filter((d) => d.node_id === node.id),
      tests.rows.find((t) => t.node_id === node.id)?.started_at ?? null,
    ),
  );
}

/** One split's experiment; 404 when the newest published version has no split `nodeId`. */
export async function nodeExperiment(
  db: Kysely<Database>,
  workspaceId: string,
  journeyId: string,
  nodeId: string,
): Promise<Experiment> {
  const { splits, settings } = await publishedSplits(db, workspaceId, journeyId);
  const node = splits.find((n) => n.id === nodeId);
  if (!node)
    throw new NotFoundError(`the newest published version of journey ${journeyId} has no core.split node "${nodeId}"`);
  const [experiment] = await experimentsOf(db, workspaceId, journeyId, [node], settings, undefined);
  return experiment as Experiment;
}

/** The figures a decision records: each variant's units and rate under the experiment's metric. */
export const decisionFigures = (e: Experiment) =>
  e.variants.map((v) => ({ key: v.key, entered: v.entered, converted: v.converted, rate: v.rate }));

export { publishedSplits, winnerOf };
