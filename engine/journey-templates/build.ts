import type { GraphEdge, GraphNode, JourneyGraph, JourneySettings } from '../graph/types.js';

/** A starting point for a journey (`GET /api/journey-templates`): a draft graph and its settings. */
export interface JourneyTemplate {
  id: string;
  name: string;
  description: string;
  graph: JourneyGraph;
  settings?: Partial<JourneySettings>;
}

/**
 * Fields a marketer must fill in are left empty, so the draft's validation marks them (the
 * sender address, the salespeople), instead of shipping a made-up value that would publish.
 */
export const TO_FILL = '';

const COLUMN = 280;
const ROW = 170;

/** A node at a grid cell of the top-down canvas: `column` across (may be fractional), `row` down. */
export function node(
  id: string,
  type: string,
  params: GraphNode['params'],
  [column, row]: [number, number],
): GraphNode {
  return { id, type, version: 1, params, position: { x: column * COLUMN, y: row * ROW } };
}

/** Edges as `[source, output, target]`, numbered in order, so a template reads as its flow. */
export function edges(...flows: [source: string, output: string, target: string][]): GraphEdge[] {
  return flows.map(([source, sourceHandle, target], i) => ({ id: `e${i + 1}`, source, sourceHandle, target }));
}

/** An email body with tracked links marked by key (NODES.md "Email links"). */
export function html(paragraphs: string[], links: [key: string, text: string][] = []): string {
  const body = paragraphs.map((p) => `<p>${p}</p>`).join('');
  const anchors = links.map(
    ([key, text]) => `<p><a href="https://example.com/${key}" data-waymark-key="${key}">${text}</a></p>`,
  );
  return `${body}${anchors.join('')}`;
}
