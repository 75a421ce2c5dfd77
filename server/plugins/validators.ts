import { AjvCompiler } from '@fastify/ajv-compiler';
import type { Ajv } from 'ajv';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import type { FastifyServerOptions } from 'fastify';
import { isUuid } from '../../engine/db/ids.js';

type BuildValidator = ReturnType<typeof AjvCompiler>;

// Made once, not at each call: a pool keeps the compilers it made, by their schemas and options.
const textPool: BuildValidator = AjvCompiler();
const jsonPool: BuildValidator = AjvCompiler();

/** Ajv's options for every part of a request; `coerceTypes` is set per part below. */
const COMMON = { allErrors: true, removeAdditional: false, useDefaults: true } as const;

const rfc3339 = fullFormats['date-time'] as { validate: (text: string) => boolean };

/**
 * ajv-formats' `date-time` takes a leap second (`23:59:60`), which `Date` cannot hold: the route
 * then sent an Invalid Date to SQL (a 500 where a 400 was due). A date-time is one `Date` holds.
 */
const holdsDate = (text: string) => rfc3339.validate(text) && Number.isFinite(Date.parse(text));

/**
 * ajv-formats' `uuid` also takes `urn:uuid:…`, which PostgreSQL cannot cast (a 500 where a 400
 * was due): ids are checked as the database reads them.
 */
const onCreate = (ajv: Ajv) =>
  ajv
    .addFormat('uuid', { type: 'string', validate: isUuid })
    .addFormat('date-time', { type: 'string', validate: holdsDate });

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
