import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

// uuid's own source of randomness asks WebCrypto for 16 bytes per id, ~10 µs each (3% of a
// sending worker); 256 ids' worth drawn at once costs about what one did.
const pool = new Uint8Array(16 * 256);
let drawn = pool.length;

function pooledRandom(): Uint8Array {
  if (drawn === pool.length) {
    randomFillSync(pool);
    drawn = 0;
  }
  drawn += 16;
  return pool.subarray(drawn - 16, drawn);
}

/**
 * A new row id: time-ordered (UUID version 7), like the database's `waymark_uuid7()` default,
 * so that rows made together sit together in their indexes and pages (migration 0038).
 *
 * @example
 * const step = { id: newId(), nodeId, parentStepId };
 */
export function newId(): string {
  return v7({ rng: pooledRandom });
}

/**
 * True for a UUID in text form, of any version: an id from a URL or a payload can then be
 * queried without a cast error.
 *
 * @example
 * if (!isUuid(request.params.id)) return notFound();
 */
export function isUuid(text: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text);
}

/**
 * An id as it is stored and compared: a UUID lower-cased (the same id in either case, RFC
 * 9562), any other text as it is.
 *
 * @example
 * canonicalId('0190A6E4-…'); // '0190a6e4-…'
 */
export function canonicalId(text: string): string {
  return isUuid(text) ? text.toLowerCase() : text;
}
