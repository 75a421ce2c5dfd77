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

/**
 * A journey of `size` nodes made through the API at 0,0 (so it is laid out on opening, the
 * worst case): a webhook, then blocks of a condition whose two branches meet again. The bench's
 * canvas workload opens one of 500.
 */
export function bigJourney(size: number): JourneyGraph {
  const at = { x: 0, y: 0 };
  const nodes: JourneyGraph['nodes'] = [
    { id: 'hook', type: 'core.webhook', version: 1, params: { secret: 'a-secret-of-16-chars' }, position: at },
  ];
  const edges: JourneyGraph['edges'] = [];
  const link = (source: string, sourceHandle: string, target: string) =>
    edges.push({ id: `e${edges.length + 1}`, source, sourceHandle, target });
  let previous = 'hook';
  for (let i = 0; nodes.length + 3 <= size; i++) {
    nodes.push(
      {
        id: `c${i}`,
        type: 'core.condition',
        version: 1,
        params: { filter: { attr: 'n', op: 'gte', value: i } },
        position: at,
      },
      { id: `y${i}`, type: 'crm.tag', version: 1, params: { action: 'add', tag: `yes-${i}` }, position: at },
      { id: `n${i}`, type: 'crm.tag', version: 1, params: { action: 'add', tag: `no-${i}` }, position: at },
    );
    link(previous, 'out', `c${i}`);
    link(`c${i}`, 'yes', `y${i}`);
    link(`c${i}`, 'no', `n${i}`);
    // Both branches meet at the next condition; the first one carries on.
    if (i > 0) link(`n${i - 1}`, 'out', `c${i}`);
    previous = `y${i}`;
  }
  return { nodes, edges };
}

/** A webhook (`hook`) into a tag node (`tag`) adding `tag`, the tag node at x (to move it between drafts). */
export function hookThenTag(tag: string, x = 0): JourneyGraph {
  return {
    nodes: [
      {
        id: 'hook',
        type: 'core.webhook',
        version: 1,
        params: { secret: 'a-secret-of-16-chars' },
        position: { x: 0, y: 0 },
      },
      { id: 'tag', type: 'crm.tag', version: 1, params: { action: 'add', tag }, position: { x, y: 200 } },
    ],
    edges: [{ id: 'e1', source: 'hook', sourceHandle: 'out', target: 'tag' }],
  };
}
