import type { WebSocket } from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { STEPS_CHANNEL, type StepNotice } from '../../engine/runs/bookkeeping.js';
import { NotificationListener } from '../../engine/runs/listener.js';
import { errorResponses } from '../schemas/errors.js';

/** A client this far behind (bytes queued on its socket) is dropped rather than buffered. */
const MAX_BUFFERED = 1024 * 1024;

/** API.md "Live feed": `GET /api/live` upgrades to a websocket of finished steps. */
export async function liveRoutes(app: FastifyInstance) {
  const listener = new NotificationListener(app.runtime.databaseUrl, app.runtime.logger.child({ part: 'live' }));
  const clients = new Map<WebSocket, string | null>();
  let unsubscribe: (() => void) | null = null;

  function broadcast(payload: unknown) {
    const step = payload as StepNotice;
    const message = JSON.stringify({
      type: 'step',
      journeyId: step.journeyId,
      version: step.version,
      runId: step.runId,
      nodeId: step.nodeId,
      status: step.status,
    });
    for (const [socket, journeyId] of clients) {
      if (journeyId && journeyId !== step.journeyId) continue;
      if (socket.bufferedAmount > MAX_BUFFERED) {
        clients.delete(socket);
        socket.close(1008, 'too slow: the live feed does not buffer without bound');
        continue;
      }
      socket.send(message);
    }
  }

  app.addHook('onClose', async () => {
    unsubscribe?.();
    for (const socket of clients.keys()) socket.close(1001, 'server stopping');
    await listener.close();
  });

  app.get<{ Querystring: { ticket?: string; token?: string; journeyId?: string } }>(
    '/api/live',
    {
      websocket: true,
      config: {
        urlCredentials: true,
        // @fastify/websocket hides its routes from the document; API.md lists this one.
        swaggerTransform: ({ schema, url }) => ({ schema: { ...schema, hide: false }, url }),
      },
      schema: {
        tags: ['live'],
        summary: 'Websocket of finished steps: { type: "step", journeyId, version, runId, nodeId, status }',
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
        },
        response: {
          101: { type: 'null', description: 'switching to the websocket protocol' },
          ...errorResponses(400, 403),
        },
      },
    },
    async (socket, request) => {
      unsubscribe ??= listener.on(STEPS_CHANNEL, broadcast);
      clients.set(socket, request.query.journeyId ?? null);
      socket.on('close', () => clients.delete(socket));
      socket.on('error', () => clients.delete(socket));
      await listener.ready();
    },
  );
}
