import { v7 } from 'uuid';

/**
 * A new row id: time-ordered (UUID version 7), like the database's `waymark_uuid7()` default,
 * so that rows made together sit together in their indexes and pages (migration 0038).
 *
 * @example
 * const step = { id: newId(), nodeId, parentStepId };
 */
export function newId(): string {
  return v7();
}
