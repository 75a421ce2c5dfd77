/**
 * A row id a request names (path, query or body): anything but a UUID is refused here, 400
 * `validation_failed` "must match format "uuid"" naming the field — never a 404 or an empty
 * list, so a mistyped id is told apart from an unknown one. The format is the one PostgreSQL
 * reads (plugins/validators.ts), so a valid id never fails the query that casts it.
 */
export const uuid = { type: 'string', format: 'uuid' } as const;

/** `:id` as a UUID. */
export const idParams = { type: 'object', properties: { id: uuid }, required: ['id'] } as const;
