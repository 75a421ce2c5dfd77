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

/**
 * A journey answer (with its draft) as the request may read it. Every route answering a
 * journey sends it through here, not only reads: pausing and resuming need `journeys:publish`
 * alone, which a token may hold without `journeys:write`.
 */
export function readableJourney<J extends { draft: { graph: JourneyGraph } }>(
  request: FastifyRequest,
  registry: NodeRegistry,
  journey: J,
): J {
  return { ...journey, draft: { ...journey.draft, graph: readableGraph(request, registry, journey.draft.graph) } };
}
