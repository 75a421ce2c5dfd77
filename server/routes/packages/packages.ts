import { ConflictError, NotFoundError } from '@waymark/sdk';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { installedEntry, listPackages } from '../../../engine/packages/entries.js';
import { packageInUse } from '../../../engine/packages/errors.js';
import { installPackage, registryOf } from '../../../engine/packages/install.js';
import { searchRegistry } from '../../../engine/packages/npm-registry.js';
import { deletePackage, getPackageRow, listPackageRows } from '../../../engine/packages/store.js';
import { unsupportedMediaType } from '../../plugins/bodies.js';
import { errorResponses } from '../../schemas/errors.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { auditWithin } from '../../teams/audit/audit.js';
import {
  installBodySchema,
  packageDetailSchema,
  packageEntrySchema,
  searchQuerySchema,
  searchResultSchema,
} from './schemas.js';

const tags = ['catalogue'];
/** An `npm pack` tarball may be this big (contract: 50 MiB). */
const TARBALL_LIMIT = 50 * 1024 * 1024;

type Params = { name?: string; scope?: string; pkg?: string; version: string };

/** `:name` percent-encoded (`%40acme%2Fx`) or the literal scoped form (`@acme/x`, two segments). */
const nameOf = (params: Params) => (params.scope ? `${params.scope}/${params.pkg}` : String(params.name));

const paramsSchema = (scoped: boolean) =>
  ({
    type: 'object',
    properties: scoped
      ? { scope: { type: 'string', pattern: '^@' }, pkg: { type: 'string' }, version: { type: 'string' } }
      : { name: { type: 'string' }, version: { type: 'string' } },
    required: scoped ? ['scope', 'pkg', 'version'] : ['name', 'version'],
  }) as const;

/** API.md "Node catalogue and packages": installed packages, the registry search, install and removal. */
export async function packagesRoutes(app: FastifyInstance) {
  const { runtime } = app;
  app.addContentTypeParser(
    ['application/gzip', 'application/x-gzip'],
    { parseAs: 'buffer', bodyLimit: TARBALL_LIMIT },
    (_request, body, done) => done(null, body),
  );

  app.get(
    '/api/packages',
    {
      schema: {
        tags,
        summary: 'Every node package: built-in, from the environment and installed, with load errors and users',
        response: {
          200: {
            type: 'object',
            properties: { sdk: { type: 'string' }, packages: { type: 'array', items: packageEntrySchema } },
            required: ['sdk', 'packages'],
          },
          ...errorResponses(),
        },
      },
    },
    async (request) => listPackages(runtime.db, runtime.registry, workspaceOf(request)),
  );

  app.get(
    '/api/packages/search',
    {
      schema: {
        tags,
        summary: 'Search the npm registry for node packages (keyword waymark-node-package)',
        querystring: searchQuerySchema,
        response: { 200: searchResultSchema, ...errorResponses(400, 502) },
      },
    },
    async (request) => {
      const { q = '', limit = 20 } = request.query as { q?: string; limit?: number };
      const hits = await searchRegistry(registryOf(runtime), q, limit);
      const rows = await listPackageRows(runtime.db);
      return {
        results: hits.map((hit) => ({
          ...hit,
          installed: rows.filter((r) => r.name === hit.name).map((r) => r.version),
        })),
      };
    },
  );

  const getOne = async (request: FastifyRequest) => {
    const params = request.params as Params;
    const name = nameOf(params);
    const fixed = runtime.registry.packages.find((p) => p.name === name && p.version === params.version);
    // A built-in is never stood in for by a version stored under its name before the scope was reserved.
    if (fixed?.source === 'builtin') return { ...fixed, readme: null };
    const row = await getPackageRow(runtime.db, name, params.version);
    if (row) {
      const entry = await installedEntry(runtime.db, runtime.registry, workspaceOf(request), row);
      return { ...entry, readme: runtime.packages.readme(name, params.version) };
    }
    if (!fixed) throw new NotFoundError(`${name}@${params.version} is not installed`);
    return { ...fixed, readme: null };
  };
  for (const scoped of [false, true]) {
    app.get(
      scoped ? '/api/packages/:scope/:pkg/:version' : '/api/packages/:name/:version',
      {
        schema: {
          tags,
          summary: 'One package version, with its README',
          params: paramsSchema(scoped),
          response: { 200: packageDetailSchema, ...errorResponses(404) },
        },
      },
      getOne,
    );
  }

  app.post(
    '/api/packages',
    {
      bodyLimit: TARBALL_LIMIT,
      schema: {
        tags,
        summary: 'Install a package version from the registry by name, or from an npm pack tarball',
        body: {
          content: {
            'application/json': { schema: installBodySchema },
            'application/gzip': { schema: { description: 'an npm pack tarball (entries under package/)' } },
          },
        },
        response: {
          200: { ...packageEntrySchema, description: 'the same version was installed with the same bytes' },
          201: packageEntrySchema,
          ...errorResponses(400, 404, 409, 413, 415, 422, 502),
        },
      },
    },
    async (request, reply: FastifyReply) => {
      const body = request.body;
      const json = /^application\/json\b/i.test(request.headers['content-type'] ?? '');
      if (!Buffer.isBuffer(body) && !json) throw unsupportedMediaType(request);
      const source = Buffer.isBuffer(body) ? { tarball: body } : (body as { name: string; version?: string });
      const { name, version, created } = await installPackage(runtime, source, workspaceOf(request), (trx, stored) =>
        auditWithin(request, trx, { object: `${stored.name}@${stored.version}` }),
      );
      // Recorded by the onSend hook when nothing was stored (the same bytes were installed before).
      request.auditObject = `${name}@${version}`;
      const row = await getPackageRow(runtime.db, name, version);
      if (!row) throw new ConflictError(`${name}@${version} was removed meanwhile`);
      return reply
        .code(created ? 201 : 200)
        .send(await installedEntry(runtime.db, runtime.registry, workspaceOf(request), row));
    },
  );

  const remove = async (request: FastifyRequest, reply: FastifyReply) => {
    const params = request.params as Params;
    const name = nameOf(params);
    // A version stored under a built-in's name and version before the scope was reserved is removable.
    const fixed = runtime.registry.packages.some((p) => p.name === name && p.version === params.version);
    if (fixed && !(await getPackageRow(runtime.db, name, params.version)))
      throw new ConflictError(
        `${name}@${params.version} is a built-in or environment package; it cannot be removed here`,
      );
    const workspaceId = workspaceOf(request);
    const removed = await deletePackage(runtime.db, name, params.version, workspaceId, (trx) =>
      auditWithin(request, trx, { object: `${name}@${params.version}` }),
    );
    if (!removed) throw new NotFoundError(`${name}@${params.version} is not installed`);
    if (removed.users.length) {
      const own = removed.users.filter((u) => u.workspaceId === workspaceId);
      const others = removed.users.length - own.length;
      throw packageInUse(name, params.version, [
        ...own.map((u) => ({
          journeyId: u.journeyId,
          journeyName: u.journeyName,
          version: u.version,
          message: `journey "${u.journeyName}" version ${u.version} uses ${name}@${params.version}`,
        })),
        ...(others ? [{ message: `${others} journey version(s) of other workspaces use it` }] : []),
      ]);
    }
    runtime.packages.unload(name, params.version);
    return reply.code(204).send();
  };
  for (const scoped of [false, true]) {
    app.delete(
      scoped ? '/api/packages/:scope/:pkg/:version' : '/api/packages/:name/:version',
      {
        schema: {
          tags,
          summary: 'Remove an installed package version no journey version uses',
          params: paramsSchema(scoped),
          response: { 204: { type: 'null', description: 'removed' }, ...errorResponses(404, 409) },
        },
      },
      remove,
    );
  }
}
