/** Any JSON value, as stored in payloads, outputs and attributes. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };
/**
 * What a node hands the engine to store as JSON (a step's `output`): JSON in which a property
 * may be `undefined` (left out, as `JSON.stringify` leaves it) and a list may be readonly.
 * TypeScript gives the output objects of a `run`'s several `return`s each other's keys as
 * `?: undefined` (`{ x: 1 }` and `{ y: 'z' }` become `{ x: number; y?: undefined }`), which
 * `JsonValue` refused, so such a node did not compile.
 */
export type JsonOutput =
  | string
  | number
  | boolean
  | null
  | readonly JsonOutput[]
  | { readonly [key: string]: JsonOutput | undefined };
