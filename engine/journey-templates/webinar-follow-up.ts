import { edges, html, type JourneyTemplate, node, TO_FILL } from './build.js';

export const webinarFollowUp: JourneyTemplate = {
  id: 'webinar-follow-up',
  name: 'Webinar follow-up',
  description:
    'Thanks attendees with the recording and slides; a click on the recording gets its follow-up, a reply becomes a lead for sales.',
  graph: {
    nodes: [
      node('attended', 'core.event', { event: 'webinar.attended' }, [1, 0]),
      node(
        'thanks',
        'email.send',
        {
          from: TO_FILL,
          subject: 'Thanks for joining {{ trigger.webinar | default: "our webinar" }}',
          html: html(
            ['Here are the recording and the slides. Reply with any question.'],
            [
              ['a', 'Watch the recording'],
              ['b', 'Download the slides'],
            ],
          ),
          category: 'marketing',
          links: [{ key: 'a', addTags: ['watched-recording'] }, { key: 'b' }],
        },
        [1, 1],
      ),
      node(
        'clickA',
        'core.wait-for-event',
        {
          event: 'email.clicked',
          filter: { attr: 'key', op: 'eq', value: 'a' },
          timeout: 'P3D',
        },
        [1, 2],
      ),
      node(
        'followUpA',
        'email.send',
        {
          from: TO_FILL,
          subject: 'What to do after the webinar',
          html: html(['You watched the recording: here is the next step.'], [['demo', 'Book a demo']]),
          category: 'marketing',
        },
        [0.5, 3],
      ),
      node('reply', 'core.wait-for-event', { event: 'email.replied', timeout: 'P7D' }, [1, 4]),
      node(
        'lead',
        'crm.create-lead',
        {
          title: 'Webinar reply from {{ contact.email }}',
          owners: [],
          assign: 'round-robin',
          notify: true,
        },
        [0.5, 5],
      ),
      node('qualified', 'core.exit', { goal: 'lead' }, [0.5, 6]),
      node('done', 'core.exit', {}, [1.5, 6]),
    ],
    edges: edges(
      ['attended', 'out', 'thanks'],
      ['thanks', 'sent', 'clickA'],
      ['clickA', 'event', 'followUpA'],
      ['clickA', 'timeout', 'reply'],
      ['followUpA', 'sent', 'reply'],
      ['reply', 'event', 'lead'],
      ['reply', 'timeout', 'done'],
      ['lead', 'out', 'qualified'],
    ),
  },
  settings: { reentry: 'once' },
};
