import type { ErrorDetail } from '@waymark/sdk';
import type { JourneyGraph, JourneySettings } from '../graph/types.js';
import { SPLIT_TYPE } from './decisions.js';

/** A split that picks its winner by the goal needs the journey to have one. */
export function goalProblems(graph: JourneyGraph, settings: Partial<JourneySettings> | null): ErrorDetail[] {
  if (settings?.goal) return [];
  return graph.nodes
    .filter((n) => {
      const winner = (n.params as { winner?: { metric?: string } } | undefined)?.winner;
      return n.type === SPLIT_TYPE && winner && (winner.metric ?? 'goal') === 'goal';
    })
    .map((n) => ({
      nodeId: n.id,
      path: '/winner/metric',
      message: `node "${n.id}" picks its winner by the journey's goal, but the journey has no goal (set settings.goal or another metric)`,
    }));
}
