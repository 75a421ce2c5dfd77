import { addDuration, defineNode, eventNameSchema, type Filter, filterSchema } from '@waymark/sdk';

/** Waits for a matching event on the contact; `timeout` when none arrives in time. */
export default defineNode({
  type: 'core.wait-for-event',
  version: 1,
  kind: 'wait',
  category: 'Flow',
  summary:
    '{% if event %}Wait{% if timeout %} {{ timeout | duration }}{% endif %} for {{ event }}{% if filter %} with {{ filter | filter }}{% endif %}{% endif %}',
  title: 'Wait for event',
  description: 'Waits until the contact does something, or a timeout passes.',
  params: {
    type: 'object',
    properties: {
      event: { ...eventNameSchema, title: 'Event name', examples: ['email.clicked'] },
      filter: { ...filterSchema, title: 'Only when the properties match', filterContext: 'event' },
      timeout: { type: 'string', format: 'duration', default: 'P3D', title: 'Give up after' },
    },
    required: ['event', 'timeout'],
    additionalProperties: false,
  },
  outputs: ['event', 'timeout'],
  async run(ctx) {
    const { resume } = ctx;
    if (resume?.kind === 'event') {
      const { id, name, properties, timestamp } = resume.event;
      return { next: 'event', output: { event: { id, name, properties, timestamp } } };
    }
    if (resume) return { next: 'timeout' };
    const filter = ctx.params.filter as unknown as Filter | undefined;
    const timeoutAt = addDuration(ctx.now(), ctx.params.timeout);
    return { wait: { event: ctx.params.event, ...(filter ? { filter } : {}), timeoutAt } };
  },
});
