import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Runtime } from '../engine/runtime.js';
import { isEditorPage } from './editor-pages.js';
import { authPlugin } from './plugins/auth.js';
import { bodiesPlugin } from './plugins/bodies.js';
import { bodyChecksPlugin } from './plugins/body-checks.js';
import { answerClientError, hostRequiredPlugin } from './plugins/client-errors.js';
import { closingPlugin } from './plugins/closing.js';
import { answerClimbOutOfDocsAsNotFound } from './plugins/docs-files.js';
import { errorsPlugin, sendError } from './plugins/errors.js';
import { failedAuthPlugin } from './plugins/failed-auth.js';
import { hardenAnswer, headersPlugin } from './plugins/headers.js';
import { limitsPlugin } from './plugins/limits.js';
import { storableTextPlugin } from './plugins/storable-text.js';
import { uuidCasePlugin } from './plugins/uuid-case.js';
import { validatorCompilers } from './plugins/validators.js';
import { routableUrl } from './routable-url.js';
import { routes } from './routes/index.js';
import { addCommonAnswers } from './schemas/common-answers.js';
import { addRolesToDocument } from './teams/access/openapi.js';
import { auditHooks } from './teams/audit/audit.js';

export interface AppOptions {
  /** Whether `/healthz` also requires a running worker (the combined `start`). */
  workerRunning?: () => boolean;
  /** Serve the built editor from `editor/dist` (default: when it exists). */
  serveEditor?: boolean;
}

const editorDist = fileURLToPath(new URL('../editor/dist/', import.meta.url));
const DATABASE_ROUTES = /^\/(api|hooks|t|unsubscribe)\//;

declare module 'fastify' {
  interface FastifyInstance {
    runtime: Runtime;
    workerRequired: boolean;
    workerRunning(): boolean;
  }
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** A hop count trusts that many proxies nearest to us; fastify takes that as a function. */
function trustedProxies(setting: boolean | number | string[]) {
  return typeof setting === 'number' ? (_address: string, hop: number) => hop < setting : setting;
}

/**
 * Builds the fastify app with every route; `listen` is the caller's.
 *
 * @example
 * const app = await buildApp(runtime);
 * const res = await app.inject({ method: 'GET', url: '/healthz' });
 */
export async function buildApp(runtime: Runtime, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: runtime.logger.child({ part: 'http' }) as FastifyBaseLogger,
    // Per-request lines would dominate the log (and the webhook hot path); errors still log.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    trustProxy: trustedProxies(runtime.config.trustProxy),
    // Every path reaches a route (or the 404 handler) and so its hooks — headers, rate limits,
    // auth: one whose escapes do not decode is routed with them taken literally, and path
    // segments are not refused for length below Node's own 16 KiB limit on a request's head.
    rewriteUrl: (request) => routableUrl(request.url ?? '/'),
    routerOptions: { maxParamLength: 16 * 1024 },
    frameworkErrors: (error, request, reply) => {
      // What the router still refuses (a longer segment, where Node is set to take one) names nothing here.
      hardenAnswer(request, reply);
      const why = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path segment is too long' : 'a malformed path';
      return sendError(reply, 'not_found', `no such resource: ${why}`);
    },
    // What Node refuses before routing (a malformed head, a missing Host) answers in our shape.
    clientErrorHandler: answerClientError,
    http: { requireHostHeader: false },
    schemaController: validatorCompilers,
    // Requests that come while the server closes are answered by closingPlugin, in our shape.
    return503OnClosing: false,
  });
  app.decorate('runtime', runtime);
  app.decorate('workerRequired', Boolean(options.workerRunning));
  app.decorate('workerRunning', options.workerRunning ?? (() => true));

  await app.register(errorsPlugin);
  await app.register(bodiesPlugin);
  await app.register(bodyChecksPlugin);
  app.addHook('onRoute', addCommonAnswers);
  await app.register(headersPlugin);
  await app.register(hostRequiredPlugin);
  await app.register(closingPlugin);
  // Decided by the route reached, like auth: no spelling of a path skips it.
  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url ?? '';
    if (!runtime.health.ok && DATABASE_ROUTES.test(route) && route !== '/api/openapi.json') {
      return sendError(reply, 'unavailable', 'the database cannot be reached; nothing was accepted, retry later');
    }
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Waymark API', version: '1', description: 'Journeys, contacts, events, runs and webhooks.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'waymark_session' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transformObject: (doc) => addRolesToDocument((doc as { openapiObject: Record<string, unknown> }).openapiObject),
  });
  app.addHook('onRoute', answerClimbOutOfDocsAsNotFound);
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });
  await app.register(limitsPlugin);
  await app.register(failedAuthPlugin);
  await app.register(authPlugin);
  await app.register(storableTextPlugin);
  await app.register(uuidCasePlugin);
  auditHooks(app);
  app.get(
    '/api/openapi.json',
    {
      schema: {
        tags: ['operation'],
        security: [],
        summary: 'This OpenAPI document',
        response: { 200: { type: 'object', additionalProperties: true } },
      },
    },
    async () => app.swagger(),
  );
  await app.register(routes);

  const withEditor = (options.serveEditor ?? true) && existsSync(`${editorDist}index.html`);
  // Imported only where the editor is served (a third of a second of imports otherwise).
  if (withEditor)
    await app.register((await import('@fastify/static')).default, {
      root: editorDist,
      prefix: '/',
      wildcard: false,
      index: 'index.html',
    });
  app.setNotFoundHandler((request, reply) => {
    const path = request.originalUrl.split('?')[0] ?? '/';
    // Judged on the path as a browser would resolve it, so `//api/x` or `/api%2Fx` is no page.
    const plain = safeDecode(path).replace(/\/{2,}/g, '/');
    const isPage = request.method === 'GET' && isEditorPage(plain);
    if (withEditor && isPage) return reply.type('text/html').sendFile('index.html');
    return sendError(reply, 'not_found', `no route ${request.method} ${path}`);
  });
  return app;
}
