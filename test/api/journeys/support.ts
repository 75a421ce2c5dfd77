import type { JourneyGraph } from '../../../engine/graph/types.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

/** The fixture package whose nodes these tests draw with, independent of the built-in ones. */
export const FIXTURE_PACKAGE = './test/fixtures/packages/good/index.ts';

export function journeysApp(): Promise<TestApp> {
  return createTestApp({ WAYMARK_NODE_PACKAGES: FIXTURE_PACKAGE });
}

/** start → step: a graph that publishes. */
export function validGraph(text = 'Hello {{ contact.email }}'): JourneyGraph {
  return {
    nodes: [
      { id: 'start', type: 'fixture.start', version: 1, params: {}, position: { x: 0, y: 0 } },
      { id: 'step', type: 'fixture.step', version: 1, params: { text }, position: { x: 0, y: 100 } },
    ],
    edges: [{ id: 'e1', source: 'start', sourceHandle: 'out', target: 'step' }],
  };
}

/** Creates a journey through the API and returns its id. */
export async function createJourney(t: TestApp, body: object = { name: 'Welcome', graph: validGraph() }) {
  const res = await t.app.inject({ method: 'POST', url: '/api/journeys', headers: t.auth, payload: body });
  if (res.statusCode !== 201) throw new Error(`create answered ${res.statusCode}: ${res.body}`);
  return res.json().id as string;
}

export const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
