import { edges, html, type JourneyTemplate, node, TO_FILL } from './build.js';

const email = (subject: string, paragraphs: string[], links: [string, string][] = []) => ({
  from: TO_FILL,
  subject,
  html: html(paragraphs, links),
  category: 'marketing',
});

export const welcomeSeries: JourneyTemplate = {
  id: 'welcome-series',
  name: 'Welcome series',
  description: 'Three emails over a week for new sign-ups; those who click get tagged engaged, the rest a nudge.',
  graph: {
    nodes: [
      node('signup', 'core.event', { event: 'signed_up' }, [1, 0]),
      node(
        'welcome',
        'email.send',
        email(
          'Welcome, {{ contact.attributes.firstName | default: "friend" }}',
          ['Thanks for signing up.'],
          [['start', 'Get started']],
        ),
        [1, 1],
      ),
      node('wait1', 'core.wait', { duration: 'P2D' }, [1, 2]),
      node(
        'tips',
        'email.send',
        email('Three tips to get going', ['Here is how others get the most out of us.'], [['tips', 'Read the tips']]),
        [1, 3],
      ),
      node('clicked', 'core.wait-for-event', { event: 'email.clicked', timeout: 'P5D' }, [1, 4]),
      node('engaged', 'crm.tag', { action: 'add', tag: 'engaged' }, [0, 5]),
      node(
        'nudge',
        'email.send',
        email('Still there?', ['One click is all it takes to get started.'], [['start', 'Get started']]),
        [2, 5],
      ),
      node('done', 'core.exit', { goal: 'welcomed' }, [1, 6]),
    ],
    edges: edges(
      ['signup', 'out', 'welcome'],
      ['welcome', 'sent', 'wait1'],
      ['wait1', 'out', 'tips'],
      ['tips', 'sent', 'clicked'],
      ['clicked', 'event', 'engaged'],
      ['clicked', 'timeout', 'nudge'],
      ['engaged', 'out', 'done'],
      ['nudge', 'sent', 'done'],
    ),
  },
  settings: { reentry: 'once' },
};
