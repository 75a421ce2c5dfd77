import type { FastifyInstance } from 'fastify';
// @ts-expect-error: parse-prometheus-text-format ships no types; its shape is written out below.
import parsePrometheusText from 'parse-prometheus-text-format';
import { expect } from 'vitest';

/** One series of a parsed metric family. */
export interface Sample {
  labels?: Record<string, string>;
  value?: string;
  count?: string;
  sum?: string;
  buckets?: Record<string, string>;
}

/** A metric family as parse-prometheus-text-format reads it. */
export interface Family {
  name: string;
  help: string;
  type: string;
  metrics: Sample[];
}

/**
 * parse-prometheus-text-format folds every series of a histogram into one when they carry
 * labels (it was written for unlabelled ones): the `_count` and `_sum` lines of each histogram
 * are moved into families of their own first, so they come back one sample per label set.
 */
function splitHistograms(text: string): string {
  const histograms = [...text.matchAll(/^# TYPE (\S+) histogram$/gm)].map((m) => m[1] as string);
  let lines = text.split('\n');
  const extra: string[] = [];
  for (const name of histograms) {
    for (const suffix of ['_count', '_sum']) {
      const own = lines.filter((l) => l.startsWith(`${name}${suffix}{`) || l.startsWith(`${name}${suffix} `));
      lines = lines.filter((l) => !own.includes(l));
      extra.push(`# HELP ${name}${suffix} ${suffix.slice(1)} of ${name}`, `# TYPE ${name}${suffix} counter`, ...own);
    }
  }
  return [...lines.filter(Boolean), ...extra, ''].join('\n');
}

/** Parses a Prometheus text exposition with a real parser, by family name (`<histogram>_count` too). */
export function parsePrometheus(text: string): Map<string, Family> {
  const families = parsePrometheusText(splitHistograms(text)) as Family[];
  return new Map(families.map((f) => [f.name, f]));
}

/** The value of the series of `name` whose labels include `labels` (0 when there is none). */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const family = families.get(name);
  const sample = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  if (!sample) return 0;
  return Number(sample.value ?? sample.count ?? 0);
}

/** `GET /metrics` with `token`, expected to answer 200: the answer and its parsed families. */
export async function scrapeMetrics(app: FastifyInstance, token: string) {
  const res = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
  expect(res.statusCode).toBe(200);
  return { res, families: parsePrometheus(res.body) };
}

/**
 * The trigger steps of `nodeType` the app's process counted as completed (`waymark_steps_total`),
 * as a scrape with `token` shows them.
 *
 * @example
 * const before = await completedSteps(t.app, METRICS_TOKEN, 'core.event');
 */
export async function completedSteps(app: FastifyInstance, token: string, nodeType: string): Promise<number> {
  const { families } = await scrapeMetrics(app, token);
  return sampleValue(families, 'waymark_steps_total', { node_type: nodeType, status: 'completed' });
}
