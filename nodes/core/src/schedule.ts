import { defineNode, filterSchema, isTimeZone } from '@waymark/sdk';
import { Cron } from 'croner';

/** At each cron tick every matching contact enters (newsletters). */
export default defineNode({
  type: 'core.schedule',
  version: 1,
  kind: 'trigger',
  category: 'Triggers',
  summary:
    "{% if cron %}{{ cron }} ({{ timezone | default: 'UTC' }}){% if filter %} for {{ filter | filter }}{% endif %}{% endif %}",
  title: 'Schedule',
  description: 'At each tick of a cron schedule, every matching contact enters.',
  inline: true,
  params: {
    type: 'object',
    properties: {
      cron: { type: 'string', minLength: 1, title: 'Cron expression', examples: ['0 9 * * mon'] },
      timezone: { type: 'string', minLength: 1, default: 'UTC', title: 'Time zone' },
      filter: { ...filterSchema, title: 'Only contacts matching', filterContext: 'segment' },
    },
    required: ['cron', 'timezone'],
    additionalProperties: false,
  },
  outputs: ['out'],
  validate(params) {
    const problems = [];
    if (!isTimeZone(params.timezone))
      problems.push({
        path: '/timezone',
        message: `"${params.timezone}" is not an IANA time zone (e.g. Europe/Helsinki)`,
      });
    try {
      // Parses only: without a callback nothing is scheduled. One that parses may still name no
      // day there is (the 30th of February): the journey would be live and never start a run.
      if (new Cron(params.cron).nextRun() === null)
        problems.push({ path: '/cron', message: `the cron expression "${params.cron}" never fires` });
    } catch (error) {
      problems.push({ path: '/cron', message: `the cron expression does not parse: ${(error as Error).message}` });
    }
    return problems;
  },
  async run() {
    return { next: 'out' };
  },
});
