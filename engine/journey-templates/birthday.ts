import { edges, html, type JourneyTemplate, node, TO_FILL } from './build.js';

export const birthday: JourneyTemplate = {
  id: 'birthday',
  name: 'Birthday',
  description: 'A birthday greeting with a gift code at 09:00 in each contact’s time zone, every year.',
  graph: {
    nodes: [
      node('day', 'core.date', { attribute: 'birthday', offsetDays: 0, at: '09:00' }, [0, 0]),
      node(
        'greeting',
        'email.send',
        {
          from: TO_FILL,
          subject: 'Happy birthday, {{ contact.attributes.firstName | default: "friend" }}!',
          html: html(['A small gift from us: use code BIRTHDAY for 15 % off this week.'], [['gift', 'Open my gift']]),
          category: 'marketing',
        },
        [0, 1],
      ),
      node('tag', 'crm.tag', { action: 'add', tag: 'birthday-greeted', ttl: 'P7D' }, [0, 2]),
      node('done', 'core.exit', {}, [0, 3]),
    ],
    edges: edges(['day', 'out', 'greeting'], ['greeting', 'sent', 'tag'], ['tag', 'out', 'done']),
  },
};
