import { createHash } from 'node:crypto';
import { defineNode, isDurationWithinBound, type JsonValue, parseDuration } from '@waymark/sdk';

/**
 * A point in [0, 1) from the key's SHA-256 (its first 48 bits): every bit of the key moves
 * every bit of the point, so the variants of one contact at two splits are independent. The
 * former 32-bit FNV-1a of "<contact>:<node>" kept the contact's part of its state across node
 * ids, and two 50/50 splits agreed for 64 % of contacts.
 */
function unitPoint(key: string): number {
  return createHash('sha256').update(key).digest().readUIntBE(0, 6) / 2 ** 48;
}

/**
 * The variant for a key: a point 0–100 from the hash, then the variants' weights laid end to
 * end. The same (contact, node) always lands in the same variant for the same weights; the
 * engine keeps a contact's first assignment beyond that (nodes/README.md "Split assignment").
 */
export function pickVariant(variants: readonly { key: string; weight: number }[], key: string): string {
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  const point = unitPoint(key) * 100;
  let upTo = 0;
  for (const v of variants) {
    upTo += (v.weight / (total || 1)) * 100;
    if (point < upTo) return v.key;
  }
  return variants[variants.length - 1]?.key ?? 'control';
}

/** A/B/n split: one output per variant key; `control` is a holdout taking no step unless wired. */
export default defineNode({
  type: 'core.split',
  version: 1,
  kind: 'condition',
  category: 'Flow',
  summary:
    '{% for v in variants %}{{ v.key | upcase }} {{ v.weight }} %{% unless forloop.last %} · {% endunless %}{% endfor %}',
  title: 'A/B split',
  description: 'Sends each contact to one variant by weight, always the same one for a contact.',
  inline: true,
  params: {
    type: 'object',
    properties: {
      variants: {
        type: 'array',
        title: 'Variants',
        minItems: 1,
        items: {
          type: 'object',
          properties: {
            key: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', title: 'Key' },
            weight: { type: 'number', minimum: 0, maximum: 100, title: 'Weight (%)' },
          },
          required: ['key', 'weight'],
          additionalProperties: false,
        },
        default: [
          { key: 'a', weight: 50 },
          { key: 'b', weight: 50 },
        ],
      },
      winner: {
        type: 'object',
        title: 'Automatic winner',
        description: 'After the test period, every later contact takes the variant that wins at this confidence.',
        properties: {
          metric: { enum: ['goal', 'click', 'open'], default: 'goal', title: 'Measured by' },
          after: { type: 'string', minLength: 3, title: 'Test period (ISO 8601 duration)' },
          minPerVariant: { type: 'integer', minimum: 1, default: 100, title: 'Contacts needed per variant' },
          confidence: { type: 'number', minimum: 0.8, maximum: 0.999, default: 0.95, title: 'Confidence' },
        },
        required: ['after'],
        additionalProperties: false,
      },
    },
    required: ['variants'],
    additionalProperties: false,
  },
  outputs: (params) => params.variants.map((v) => v.key),
  readsSteps: false,
  validate(params) {
    const problems = [];
    const total = params.variants.reduce((sum, v) => sum + v.weight, 0);
    if (Math.abs(total - 100) > 1e-9)
      problems.push({ path: '/variants', message: `the variants' weights must sum to 100 (they sum to ${total})` });
    const seen = new Set<string>();
    params.variants.forEach((v, i) => {
      if (seen.has(v.key))
        problems.push({ path: `/variants/${i}/key`, message: `the variant key "${v.key}" is used twice` });
      seen.add(v.key);
    });
    const after = params.winner?.after;
    if (after !== undefined) {
      const ms = parseDuration(after);
      if (ms === null || ms < 10_000)
        problems.push({
          path: '/winner/after',
          message: `the test period must be an ISO 8601 duration of at least PT10S (got "${after}")`,
        });
      // The experiment's end is told as a time: one past what a Date holds failed its every read.
      else if (!isDurationWithinBound(ms))
        problems.push({
          path: '/winner/after',
          message: `the test period must be at most 1000 years (got "${after}")`,
        });
    }
    return problems;
  },
  async run(ctx) {
    const subject = ctx.contact?.id ?? ctx.run.id;
    const variant = pickVariant(ctx.params.variants, `${subject}:${ctx.node.id}`);
    // The assignment is kept as the step's output and counted per variant; the log line is
    // for debugging only (a step writes no info line of its own). A standing winner or
    // override, and the contact's first assignment, are applied by the engine after this
    // (engine/experiments/decisions.ts).
    ctx.log.debug({ variant }, 'split assigned a variant');
    const output: JsonValue = { variant, by: 'weights' };
    return { next: variant, output };
  },
});
