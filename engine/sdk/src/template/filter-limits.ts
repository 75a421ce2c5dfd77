import type { Liquid } from 'liquidjs';

/** The longest string a Liquid filter takes or makes, in characters. */
export const MAX_FILTER_STRING = 1_000_000;
/** The longest array a Liquid filter takes or makes, in elements. */
export const MAX_FILTER_ARRAY = 50_000;

type Handler = (this: unknown, value: unknown, ...args: unknown[]) => unknown;

function checkSize(filter: string, value: unknown): void {
  if (typeof value === 'string' && value.length > MAX_FILTER_STRING)
    throw new Error(
      `filter ${filter}: size limit exceeded, a string of ${value.length} characters is more than the ${MAX_FILTER_STRING} a filter takes or makes`,
    );
  if (Array.isArray(value) && value.length > MAX_FILTER_ARRAY)
    throw new Error(
      `filter ${filter}: size limit exceeded, an array of ${value.length} elements is more than the ${MAX_FILTER_ARRAY} a filter takes or makes`,
    );
}

/**
 * Bounds what one filter call may do. liquidjs checks its render limit only between nodes,
 * so a single `sort` of millions of elements, or a `replace` over a string of millions of
 * characters, ran for seconds on the event loop before any limit was seen. Every registered
 * filter now refuses an input, argument or result over MAX_FILTER_STRING characters or
 * MAX_FILTER_ARRAY elements (a render error, as any filter's), before sorting or after
 * building it. Call after registering the engine's own filters.
 */
export function limitFilters(liquid: Liquid): Liquid {
  for (const [name, impl] of Object.entries(liquid.filters)) {
    const handler = (typeof impl === 'function' ? impl : impl.handler) as Handler;
    const raw = typeof impl === 'function' ? false : impl.raw;
    liquid.registerFilter(name, {
      raw,
      handler(this: unknown, value: unknown, ...args: unknown[]) {
        checkSize(name, value);
        for (const arg of args) checkSize(name, arg);
        const out = handler.call(this, value, ...args);
        checkSize(name, out);
        return out;
      },
    });
  }
  return liquid;
}
