/**
 * Every error code the API answers with, and its HTTP status: the one table that maps
 * `WaymarkError` codes to HTTP. A code missing here answers 500 `internal_error`.
 */
export const ERROR_STATUSES: Record<string, number> = {
  invalid_json: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  csrf_failed: 403,
  not_found: 404,
  request_timeout: 408,
  journey_paused: 409,
  conflict: 409,
  package_in_use: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_graph: 422,
  schema_mismatch: 422,
  template_error: 422,
  invalid_package: 422,
  rate_limited: 429,
  headers_too_large: 431,
  internal_error: 500,
  delivery_failed: 502,
  trigger_failed: 502,
  registry_unavailable: 502,
  unavailable: 503,
};
