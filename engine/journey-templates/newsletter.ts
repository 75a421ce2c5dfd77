import { edges, html, type JourneyTemplate, node, TO_FILL } from './build.js';

export const newsletter: JourneyTemplate = {
  id: 'newsletter',
  name: 'Periodic newsletter',
  description: 'Every Monday at 09:00, the newsletter to contacts with a chosen tag who are on the newsletter list.',
  graph: {
    nodes: [
      node(
        'monday',
        'core.schedule',
        {
          cron: '0 9 * * mon',
          timezone: 'UTC',
          filter: {
            all: [
              { tag: TO_FILL, op: 'has' },
              { list: 'newsletter', op: 'member' },
            ],
          },
        },
        [0, 0],
      ),
      node(
        'issue',
        'email.send',
        {
          from: TO_FILL,
          subject: 'The week in news',
          html: html(['The news of the week.'], [['read', 'Read more']]),
          category: 'marketing',
          subscription: 'newsletter',
        },
        [0, 1],
      ),
      node('done', 'core.exit', {}, [0, 2]),
    ],
    edges: edges(['monday', 'out', 'issue'], ['issue', 'sent', 'done']),
  },
  settings: { reentry: 'always' },
};
