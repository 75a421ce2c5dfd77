import type { GraphError } from '../../lib/api/types/journeys.ts';
import { fieldPlace } from '../../lib/graph/problem-words.ts';
import type { JourneyEditor } from './journey-editor.svelte.ts';

/** Where a problem is, in the canvas's words: the node and its field, or the edge between two nodes. */
export function placeOf(editor: JourneyEditor, error: GraphError): { where: string; field: string } {
  const node = editor.nodes.find((n) => n.id === error.nodeId);
  if (node) {
    const params = editor.catalogue.find(node.data.type, node.data.version)?.params;
    return { where: editor.titleOf(node.id), field: error.path ? fieldPlace(params, error.path) : '' };
  }
  const edge = editor.edges.find((e) => e.id === error.edgeId);
  if (edge) return { where: `Edge from ${editor.titleOf(edge.source)} to ${editor.titleOf(edge.target)}`, field: '' };
  return { where: error.nodeId ?? (error.edgeId ? `Edge ${error.edgeId}` : ''), field: error.path ?? '' };
}
