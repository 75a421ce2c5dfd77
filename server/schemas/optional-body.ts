import type { FastifyRequest } from 'fastify';

/**
 * A route's preValidation for a body whose fields are all optional: no body at all is `{}`
 * (before the schema fills defaults). For a body with required fields, no body at all is then
 * refused naming each of them, as `{}` is. A JSON `null` is left as it is, so a body schema of
 * `type: 'object'` refuses it: 400 `validation_failed`, `details` `[{ "path": "", "message":
 * "body must be object" }]`. A client that sent null meant something, and none of it is `{}`.
 */
export async function noBodyIsEmpty(request: FastifyRequest): Promise<void> {
  if (request.body === undefined) request.body = {};
}
