import { AjvCompiler } from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

type BuildValidator = ReturnType<typeof AjvCompiler>;

/** Ajv's options for every part of a request; `coerceTypes` is set per part below. */
const COMMON = { allErrors: true, removeAdditional: false, useDefaults: true } as const;

/**
 * Request validators: a JSON body is taken as typed — `"60"` for an integer or `["b"]` for a
 * string is refused with the field named, never converted — while the path, the query string
 * and the headers, which arrive as text, are converted to what their schemas say (`?limit=10`,
 * a repeated `?tag=` as a list).
 */
export const validatorCompilers: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: {
    buildValidator: (externalSchemas) => {
      const text: BuildValidator = AjvCompiler();
      const json: BuildValidator = AjvCompiler();
      const forText = text(externalSchemas, { customOptions: { ...COMMON, coerceTypes: 'array' } });
      const forBody = json(externalSchemas, { customOptions: { ...COMMON, coerceTypes: false } });
      return (route) => (route.httpPart === 'body' ? forBody(route) : forText(route));
    },
  },
};
