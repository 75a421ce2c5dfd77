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

/**
 * What a change to a node is, in the words of its form (`/params/until/time` → `Wait until ›
 * Time (HH:MM)`, `/position/x` → `moved`), each said once.
 */
export function changeWords(editor: JourneyEditor, nodeId: string, paths: readonly string[]): string[] {
  const node = editor.nodes.find((n) => n.id === nodeId);
  const params = node && editor.catalogue.find(node.data.type, node.data.version)?.params;
  const words = paths.map((path) => {
    if (path.startsWith('/params/')) return fieldPlace(params, path.slice('/params'.length));
    if (path === '/params') return 'parameters';
    if (path.startsWith('/position')) return 'moved';
    if (path.startsWith('/settings')) return 'when it fails';
    if (path === '/version' || path === '/type') return 'node version';
    return path || '/';
  });
  return [...new Set(words)];
}

/** An edge of the draft as "From → To" by its nodes' titles; one not in the draft by its id. */
export function edgeWords(editor: JourneyEditor, edgeId: string): string {
  const edge = editor.edges.find((e) => e.id === edgeId);
  return edge ? `${editor.titleOf(edge.source)} → ${editor.titleOf(edge.target)}` : edgeId;
}
