import { AjvCompiler } from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

type BuildValidator = ReturnType<typeof AjvCompiler>;

// Made once, not at each call: a pool keeps the compilers it made, by their schemas and options.
const textPool: BuildValidator = AjvCompiler();
const jsonPool: BuildValidator = AjvCompiler();

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
      const forText = textPool(externalSchemas, { customOptions: { ...COMMON, coerceTypes: 'array' } });
      const forBody = jsonPool(externalSchemas, { customOptions: { ...COMMON, coerceTypes: false } });
      return (route) => (route.httpPart === 'body' ? forBody(route) : forText(route));
    },
  },
};
