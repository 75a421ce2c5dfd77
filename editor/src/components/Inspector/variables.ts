import type { GraphEdge } from '../../lib/api/types/journeys.ts';
import type { JsonObject } from '../../lib/api/types/json.ts';
import type { FlowNode } from '../../lib/graph/convert.ts';
import { ancestors } from '../../lib/graph/reach.ts';
import { isObject } from '../../lib/schema/fields.ts';

const CONTACT = [
  'contact.id',
  'contact.email',
  'contact.phone',
  'contact.externalId',
  'contact.timezone',
  'contact.attributes',
];
const RUN = ['run.id', 'run.journeyId', 'run.version', 'run.startedAt'];
/** What the built-in nodes put in their output (NODES.md), to suggest deeper paths. */
const OUTPUT_FIELDS: Record<string, string[]> = {
  'core.wait-for-event': ['event.name', 'event.properties'],
  'http.request': ['status', 'headers', 'body', 'url'],
};

/** What a run started by an event sees as its trigger: the stored event (API.md "Test runs"). */
const EVENT_TRIGGER_FIELDS = ['trigger.id', 'trigger.name', 'trigger.properties', 'trigger.timestamp'];

/** Trigger payload keys: the event's fields, or those a webhook trigger's payload schema declares. */
function triggerKeys(trigger: FlowNode | undefined): string[] {
  if (trigger?.data.type === 'core.event') return EVENT_TRIGGER_FIELDS;
  const schema = trigger?.data.params.schema;
  const props = isObject(schema) && isObject(schema.properties) ? (schema.properties as JsonObject) : {};
  return Object.keys(props).map((key) => `trigger.${key}`);
}

/** Template variables in scope at a node: the contact, the trigger, every step upstream, the run. */
export function variablesAt(
  nodeId: string,
  nodes: readonly FlowNode[],
  edges: readonly Pick<GraphEdge, 'source' | 'target'>[],
): { variables: string[]; stepIds: string[] } {
  const upstream = ancestors(edges, nodeId);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const trigger = upstream
    .map((id) => byId.get(id))
    .find((n) => n?.data.type === 'core.webhook' || n?.data.type === 'core.event');
  const steps = upstream.flatMap((id) => {
    const type = byId.get(id)?.data.type ?? '';
    return [`steps.${id}.output`, ...(OUTPUT_FIELDS[type] ?? []).map((f) => `steps.${id}.output.${f}`)];
  });
  return { variables: [...CONTACT, 'trigger', ...triggerKeys(trigger), ...steps, ...RUN], stepIds: upstream };
}
