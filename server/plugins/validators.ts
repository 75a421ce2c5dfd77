import { AjvCompiler } from '@fastify/ajv-compiler';
import type { Ajv } from 'ajv';
import type { FastifyServerOptions } from 'fastify';
import { isDateTime } from '../../engine/date-time.js';
import { isUuid } from '../../engine/db/ids.js';

type BuildValidator = ReturnType<typeof AjvCompiler>;

// Made once, not at each call: a pool keeps the compilers it made, by their schemas and options.
const textPool: BuildValidator = AjvCompiler();
const jsonPool: BuildValidator = AjvCompiler();

/** Ajv's options for every part of a request; `coerceTypes` is set per part below. */
const COMMON = { allErrors: true, removeAdditional: false, useDefaults: true } as const;

/**
 * ajv-formats' `uuid` also takes `urn:uuid:…`, which PostgreSQL cannot cast (a 500 where a 400
 * was due): ids are checked as the database reads them. Its `date-time` takes a leap second
 * (`23:59:60`), which a `Date` cannot hold (an Invalid Date reached SQL): a date-time is
 * `isDateTime`'s, one a `Date` holds.
 */
const onCreate = (ajv: Ajv) =>
  ajv
    .addFormat('uuid', { type: 'string', validate: isUuid })
    .addFormat('date-time', { type: 'string', validate: isDateTime });

/**
 * Request validators: a JSON body is taken as typed — `"60"` for an integer or `["b"]` for a
 * string is refused with the field named, never converted — while the path, the query string
 * and the headers, which arrive as text, are converted to what their schemas say (`?limit=10`,
 * a repeated `?tag=` as a list).
 */
export const validatorCompilers: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: {
    buildValidator: (externalSchemas) => {
      const forText = textPool(externalSchemas, { customOptions: { ...COMMON, coerceTypes: 'array' }, onCreate });
      const forBody = jsonPool(externalSchemas, { customOptions: { ...COMMON, coerceTypes: false }, onCreate });
      return (route) => (route.httpPart === 'body' ? forBody(route) : forText(route));
    },
  },
};
