import { edgeEnds, edgeRoute } from '../../lib/graph/names.ts';
import type { ConnectProblem } from '../../lib/graph/reach.ts';
import type { NewEdge } from '../Journey/graph-ops.ts';

/**
 * Why a connection was refused, in the canvas's words (node names, not ids), for the keyboard's
 * Connect picker and the canvas's live region.
 */
export function refusalWords(
  problem: ConnectProblem | 'read-only',
  conn: NewEdge,
  name: (id: string) => string,
): string {
  const to = name(conn.target);
  switch (problem) {
    case 'read-only':
      return 'Not connected: this version is read-only.';
    case 'self':
      return `Not connected: ${to} cannot lead to itself.`;
    case 'trigger':
      return `Not connected: ${to} is a trigger, where the journey starts; nothing leads into it.`;
    case 'duplicate':
      return `Not connected: an edge already runs ${edgeEnds(conn, name)}.`;
    case 'loop':
      return `Not connected: ${to} already leads back to ${name(conn.source)}, so the journey would go round in a loop.`;
  }
}

/** A connection made, in words: "Connected Condition, output yes, to Tag contact." */
export function connectedWords(conn: NewEdge, name: (id: string) => string): string {
  return `Connected ${edgeRoute(conn, name)}.`;
}
