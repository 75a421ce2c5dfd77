import type { WebSocket } from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { STEPS_CHANNEL, type StepNotice } from '../../../engine/runs/bookkeeping.js';
import { NotificationListener } from '../../../engine/runs/listener.js';
import type { LiveStep } from '../../../engine/runs/live-types.js';
import { LiveWatch } from '../../../engine/runs/live-watch.js';
import { sendError } from '../../plugins/errors.js';
import { errorResponses } from '../../schemas/errors.js';
import { type LiveHolder, liveHolderOf, lostHolders } from '../../teams/access/live-admission.js';
import type { Principal } from '../../teams/access/principal.js';
import { workspaceOf } from '../../teams/access/workspace.js';

/** A client this far behind (bytes queued on its socket) is dropped rather than buffered. */
const MAX_BUFFERED = 1024 * 1024;
/** How often open sockets' holders are checked again: as long as a revoked token is believed (API.md). */
const RECHECK_MS = 1000;

/** API.md "Live feed": `GET /api/live` upgrades to a websocket of finished steps. */
export async function liveRoutes(app: FastifyInstance) {
  const listener = new NotificationListener(app.runtime.databaseUrl, app.runtime.logger.child({ part: 'live' }));
  const clients = new Map<WebSocket, { workspaceId: string; journeyId: string | null; holder: LiveHolder }>();
  let unsubscribe: (() => void) | null = null;
  // Steps send their notices only while some process has clients (engine/runs/live-watch.ts).
  const watch = new LiveWatch(app.runtime.db);
  // A journey never changes workspace, so what is learnt once holds for the process's life.
  const workspaces = new Map<string, string | null>();
  let delivered: Promise<void> = Promise.resolve();

  async function workspaceOfJourney(journeyId: string): Promise<string | null> {
    if (workspaces.has(journeyId)) return workspaces.get(journeyId) ?? null;
    const row = await app.runtime.db
      .selectFrom('journeys')
      .select('workspace_id')
      .where('id', '=', journeyId)
      .executeTakeFirst();
    if (workspaces.size > 100_000) workspaces.clear();
    workspaces.set(journeyId, row?.workspace_id ?? null);
    return row?.workspace_id ?? null;
  }

  // Notices are delivered one after another, so a client sees steps in the order they came.
  function broadcast(payload: unknown) {
    delivered = delivered
      .then(() => deliver(payload as StepNotice))
      .catch((error) => app.log.error({ err: error }, 'a live-feed notice was not delivered'));
  }

  async function deliver(step: StepNotice) {
    const workspaceId = await workspaceOfJourney(step.journeyId);
    const message = JSON.stringify({
      type: 'step',
      journeyId: step.journeyId,
      version: step.version,
      runId: step.runId,
      nodeId: step.nodeId,
      status: step.status,
    } satisfies LiveStep);
    for (const [socket, wants] of clients) {
      // Each client sees its own workspace's steps only.
      if (wants.workspaceId !== workspaceId) continue;
      if (wants.journeyId && wants.journeyId !== step.journeyId) continue;
      if (socket.bufferedAmount > MAX_BUFFERED) {
        leave(socket);
        socket.close(1008, 'too slow: the live feed does not buffer without bound');
        continue;
      }
      socket.send(message);
    }
  }

  // Marks this process watching (again: a client that left meanwhile may have ended the watch).
  function watching(): Promise<void> {
    return watch.start().catch((error) => app.log.warn({ err: error }, 'the live watch did not start'));
  }

  // A revoked token, a removed member or an ended session loses its open sockets too, not only
  // its next request.
  const recheck = setInterval(() => {
    if (clients.size === 0) return;
    const open = [...clients];
    lostHolders(
      app.runtime.db,
      open.map(([, c]) => c.holder),
    ).then(
      (lost) => {
        for (const [socket, c] of open) {
          if (!lost.has(c.holder)) continue;
          leave(socket);
          socket.close(
            1008,
            'the credential that opened this feed was revoked, its session ended or it left the workspace',
          );
        }
      },
      (error) => app.log.warn({ err: error }, 'the live feed could not check its clients again'),
    );
  }, RECHECK_MS);
  recheck.unref();

  function leave(socket: WebSocket) {
    if (clients.delete(socket) && clients.size === 0)
      watch.stop().catch((error) => app.log.warn({ err: error }, 'the live watch was not ended'));
  }

  app.addHook('onClose', async () => {
    clearInterval(recheck);
    unsubscribe?.();
    await watch.stop().catch(() => {});
    for (const socket of clients.keys()) socket.close(1001, 'server stopping');
    await listener.close();
  });

  app.route<{ Querystring: { ticket?: string; token?: string; journeyId?: string } }>({
    method: 'GET',
    url: '/api/live',
    config: { urlCredentials: true },
    schema: {
      tags: ['live'],
      summary: 'Websocket of finished steps: { type: "step", journeyId, version, runId, nodeId, status }',
      description:
        '`status` is completed, failed or waiting as a step finishes, or retried when a retry takes a failed step up again.',
      querystring: {
        type: 'object',
        properties: {
          ticket: {
            type: 'string',
            description: 'a single-use ticket from POST /api/live/ticket (what browsers use)',
          },
          token: { type: 'string', description: 'the API token; kept for existing clients, never logged' },
          journeyId: { type: 'string', format: 'uuid' },
        },
        // A misspelt filter named no journey and so sent every journey's steps.
        additionalProperties: false,
      },
      response: {
        101: { type: 'null', description: 'switching to the websocket protocol' },
        ...errorResponses(400, 403, 404),
      },
    },
    // Before the upgrade is answered: once the client sees the socket open, the steps that
    // finish are sent (the LISTEN is up and every process's steps make their notices).
    preHandler: async () => {
      unsubscribe ??= listener.on(STEPS_CHANNEL, broadcast);
      await Promise.all([listener.ready(), watching()]);
    },
    wsHandler: async (socket, request) => {
      const workspaceId = workspaceOf(request);
      const holder = liveHolderOf(request.principal as Principal, workspaceId);
      clients.set(socket, { workspaceId, journeyId: request.query.journeyId ?? null, holder });
      socket.on('close', () => leave(socket));
      socket.on('error', () => leave(socket));
      // Again, after any stop of a client that left since the upgrade began (they run in turn).
      await watching();
    },
    // Without an upgrade there is no feed; @fastify/websocket's own answer was a 404 with no body.
    handler: async (_request, reply) =>
      sendError(reply, 'not_found', 'GET /api/live is a websocket: send it with Upgrade: websocket'),
  });
}
