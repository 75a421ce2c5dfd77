import { defineNode } from '@waymark/sdk';

const list = (title: string, description: string) =>
  ({ type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true, title, description }) as const;

/**
 * Starts a run each time a run of a matching journey ends `failed`, for the failed run's
 * contact, with the failure as its trigger payload (NODES.md `core.run-failed`).
 */
export default defineNode({
  type: 'core.run-failed',
  version: 1,
  kind: 'trigger',
  category: 'Triggers',
  summary:
    "When a run of {% if journeys.size > 0 %}{{ journeys | join: ', ' }}{% else %}any journey{% endif %} fails{% if codes.size > 0 %} with {{ codes | join: ', ' }}{% endif %}",
  title: 'Run failed',
  description: 'Starts a run when a run of another journey fails: alert someone, or send the contact another way.',
  inline: true,
  params: {
    type: 'object',
    properties: {
      // An id that is no journey id could never match: refused at publish rather than never firing.
      journeys: {
        ...list('Journeys', 'Journey ids whose failures count; all journeys when empty'),
        items: { type: 'string', format: 'uuid' },
      },
      nodes: list('Nodes', 'Node ids the failure must be at; any node when empty'),
      codes: list('Error codes', 'Error codes (http.status-5* matches a prefix); any code when empty'),
    },
    additionalProperties: false,
  },
  outputs: ['out'],
  async run() {
    return { next: 'out' };
  },
});
