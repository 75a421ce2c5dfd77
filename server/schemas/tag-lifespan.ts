import { DURATION_MAX_SECONDS } from '@waymark/sdk';

/**
 * A tag's lifespan in seconds (`ttlSeconds`): at most the longest duration Waymark takes
 * (1,000 years), as a `crm.tag` node's `ttl`. The contract names no bound, but an expiry past
 * the dates PostgreSQL stores failed the insert (a 500).
 */
export const tagLifespan = {
  type: ['number', 'null'],
  exclusiveMinimum: 0,
  maximum: DURATION_MAX_SECONDS,
} as const;
