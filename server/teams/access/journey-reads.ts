import type { FastifyRequest } from 'fastify';
import { withSecretParamsHidden } from '../../../engine/graph/secret-params.js';
import type { JourneyGraph } from '../../../engine/graph/types.js';
import type { NodeRegistry } from '../../../engine/registry/registry.js';

/**
 * A journey's graph as the request may read it: whole to whoever may change the journey
 * (`journeys:write`), its secret params (`writeOnly`, a webhook's secret) hidden from anyone
 * who may only read it (a viewer, a `journeys:read` token), who could otherwise start runs.
 */
export function readableGraph(request: FastifyRequest, registry: NodeRegistry, graph: JourneyGraph): JourneyGraph {
  return request.standing?.permissions.has('journeys:write') === true ? graph : withSecretParamsHidden(graph, registry);
}
