import type { JourneyGraph } from '../../engine/graph/types.js';

/**
 * A 40-node journey made as an API client would, every node at 0,0: a chain of conditions
 * whose "no" all end at one exit far below (long edges), and a three-way split of tag chains.
 */
export function fortyNodeJourney(): JourneyGraph {
  const nodes: JourneyGraph['nodes'] = [];
  const edges: JourneyGraph['edges'] = [];
  const add = (id: string, type: string, params: Record<string, unknown>) =>
    nodes.push({ id, type, version: 1, params: params as never, position: { x: 0, y: 0 } });
  const link = (source: string, sourceHandle: string, target: string) =>
    edges.push({ id: `e${edges.length + 1}`, source, sourceHandle, target });
  add('hook', 'core.webhook', { secret: 'a-secret-of-16-chars' });
  add('end', 'core.exit', { goal: 'not-interested' });
  let previous: [string, string] = ['hook', 'out'];
  for (let i = 0; i < 13; i++) {
    add(`c${i}`, 'core.condition', { filter: { attr: 'step', op: 'gte', value: i } });
    add(`t${i}`, 'crm.tag', { action: 'add', tag: `level-${i}` });
    link(previous[0], previous[1], `c${i}`);
    link(`c${i}`, 'yes', `t${i}`);
    link(`c${i}`, 'no', 'end');
    previous = [`t${i}`, 'out'];
  }
  add('split', 'core.split', {
    variants: [
      { key: 'a', weight: 34 },
      { key: 'b', weight: 33 },
      { key: 'c', weight: 33 },
    ],
  });
  link(previous[0], previous[1], 'split');
  for (const key of ['a', 'b', 'c']) {
    let from: [string, string] = ['split', key];
    for (let j = 0; j < (key === 'c' ? 3 : 4); j++) {
      add(`branch-${key}${j}`, 'crm.tag', { action: 'add', tag: `${key}-${j}` });
      link(from[0], from[1], `branch-${key}${j}`);
      from = [`branch-${key}${j}`, 'out'];
    }
    link(from[0], from[1], 'end');
  }
  return { nodes, edges };
}
