/**
 * A tag's lifespan in seconds (`ttlSeconds`): at most 1,000 years. The contract names no
 * bound, but an expiry past the dates PostgreSQL stores failed the insert (a 500); a bound this
 * far out refuses no lifespan anyone means.
 */
export const TAG_LIFESPAN_MAX_SECONDS = 31_557_600_000;

export const tagLifespan = {
  type: ['number', 'null'],
  exclusiveMinimum: 0,
  maximum: TAG_LIFESPAN_MAX_SECONDS,
} as const;
