import type { JsonObject } from '@waymark/sdk';
import type { LightMyRequestResponse } from 'fastify';
import type { JourneyGraph } from '../../../engine/graph/types.js';
import type { TestApp } from '../../support/runtime.js';

/** A webhook trigger, then `node` (id `n`), then an exit on each of `outputs`. */
export function graphWith(type: string, params: JsonObject, outputs = ['out']): JourneyGraph {
  const at = { x: 0, y: 0 };
  return {
    nodes: [
      { id: 'hook', type: 'core.webhook', version: 1, params: { secret: 'a-webhook-secret-of-16+' }, position: at },
      { id: 'n', type, version: 1, params, position: at },
      ...outputs.map((o) => ({ id: `end-${o}`, type: 'core.exit', version: 1, params: {}, position: at })),
    ],
    edges: [
      { id: 'e0', source: 'hook', sourceHandle: 'out', target: 'n' },
      ...outputs.map((o) => ({ id: `e-${o}`, source: 'n', sourceHandle: o, target: `end-${o}` })),
    ],
  };
}

/** Creates a journey of `graph` over HTTP and answers its publish. */
export async function publishGraph(t: TestApp, graph: JourneyGraph): Promise<LightMyRequestResponse> {
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/journeys',
    headers: t.auth,
    payload: { name: 'Bounds', graph },
  });
  if (created.statusCode !== 201) throw new Error(`create answered ${created.statusCode}: ${created.body}`);
  return t.app.inject({ method: 'POST', url: `/api/journeys/${created.json().id}/publish`, headers: t.auth });
}
