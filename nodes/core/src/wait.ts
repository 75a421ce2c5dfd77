import { addDuration, defineNode, isTimeZone, NodeError, nextWallClockTime } from '@waymark/sdk';

/** Waits a duration, or until a time of day (on allowed weekdays) in the contact's or a named zone. */
export default defineNode({
  type: 'core.wait',
  version: 1,
  kind: 'wait',
  category: 'Flow',
  summary:
    "{% if duration %}Wait {{ duration | duration }}{% elsif until.time %}Until {{ until.time }}{% if until.days.size > 0 %} on {{ until.days | join: ', ' }}{% endif %} ({{ until.timezone | default: 'contact' }} time){% endif %}",
  title: 'Wait',
  description: 'Waits for a duration or until a time of day in the contact’s time zone.',
  params: {
    type: 'object',
    properties: {
      duration: { type: 'string', format: 'duration', title: 'Wait for', examples: ['P1D'] },
      until: {
        type: 'object',
        title: 'Wait until',
        properties: {
          time: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', title: 'Time (HH:MM)' },
          timezone: { type: 'string', minLength: 1, default: 'contact', title: 'Time zone ("contact" or IANA name)' },
          days: {
            type: 'array',
            title: 'On days',
            items: { enum: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] },
            uniqueItems: true,
          },
        },
        required: ['time', 'timezone'],
        additionalProperties: false,
      },
    },
    oneOf: [{ required: ['duration'] }, { required: ['until'] }],
    additionalProperties: false,
  },
  validate(params) {
    const zone = params.until?.timezone;
    return zone && zone !== 'contact' && !isTimeZone(zone)
      ? [{ path: '/until/timezone', message: `"${zone}" is not a time zone (use "contact" or an IANA name)` }]
      : [];
  },
  // Only a time of day in the contact's own zone needs the contact.
  readsContact: (params) => params.until?.timezone === 'contact',
  readsSteps: false,
  outputs: ['out'],
  async run(ctx) {
    if (ctx.resume) return { next: 'out' };
    const { duration, until } = ctx.params;
    if (duration) return { wait: { until: addDuration(ctx.now(), duration) } };
    if (!until) throw new NodeError('core.wait needs either duration or until');
    const zone = until.timezone === 'contact' ? (ctx.contact?.timezone ?? 'UTC') : until.timezone;
    // Only validation insists on an IANA name: a version published before it did (`UTC+5`)
    // keeps running on whatever zone Luxon can set.
    try {
      return { wait: { until: nextWallClockTime(ctx.now(), until.time, zone, until.days) } };
    } catch (error) {
      throw new NodeError((error as Error).message);
    }
  },
});
