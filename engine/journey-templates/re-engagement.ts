import type { JsonObject } from '@waymark/sdk';
import { edges, html, type JourneyTemplate, node, TO_FILL } from './build.js';

// Marketing contacts who opened nothing for 90 days.
const dormant: JsonObject = {
  all: [
    { event: 'email.opened', op: 'count', lt: 1, within: 'P90D' },
    { tag: 'dormant', op: 'hasNot' },
  ],
};

export const reEngagement: JourneyTemplate = {
  id: 're-engagement',
  name: 'Re-engagement with a holdout',
  description: 'Win back contacts who opened nothing for 90 days; a 10 % holdout gets nothing, to measure the lift.',
  graph: {
    nodes: [
      node('quiet', 'core.segment', { filter: dormant, every: 'P1D' }, [1, 0]),
      node(
        'holdout',
        'core.split',
        {
          variants: [
            { key: 'control', weight: 10 },
            { key: 'winback', weight: 90 },
          ],
        },
        [1, 1],
      ),
      node('held', 'core.exit', { goal: 'holdout' }, [0, 2]),
      node(
        'miss',
        'email.send',
        {
          from: TO_FILL,
          subject: 'We miss you, {{ contact.attributes.firstName | default: "friend" }}',
          html: html(['It has been a while. Here is what is new.'], [['back', 'See what is new']]),
          category: 'marketing',
        },
        [2, 2],
      ),
      node('clicked', 'core.wait-for-event', { event: 'email.clicked', timeout: 'P7D' }, [2, 3]),
      node('back', 'crm.tag', { action: 'add', tag: 're-engaged' }, [1.5, 4]),
      node('asleep', 'crm.tag', { action: 'add', tag: 'dormant' }, [2.5, 4]),
      node('won', 'core.exit', { goal: 're-engaged' }, [1.5, 5]),
      node('lost', 'core.exit', {}, [2.5, 5]),
    ],
    edges: edges(
      ['quiet', 'out', 'holdout'],
      ['holdout', 'control', 'held'],
      ['holdout', 'winback', 'miss'],
      ['miss', 'sent', 'clicked'],
      ['clicked', 'event', 'back'],
      ['clicked', 'timeout', 'asleep'],
      ['back', 'out', 'won'],
      ['asleep', 'out', 'lost'],
    ),
  },
  settings: { reentry: 'once' },
};
