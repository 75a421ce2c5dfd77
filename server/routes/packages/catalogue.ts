import { outputsOf } from '@waymark/sdk';
import type { FastifyInstance } from 'fastify';
import type { CatalogueNode } from '../../../engine/registry/catalogue-types.js';
import { takesHookCalls } from '../../../engine/runs/webhook/webhook.js';
import { errorResponses } from '../../schemas/errors.js';

const tags = ['catalogue'];

const nodeSchema = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    version: { type: 'integer' },
    kind: { type: 'string', enum: ['trigger', 'action', 'condition', 'wait'] },
    title: { type: 'string' },
    description: { type: 'string' },
    category: { type: 'string' },
    icon: { type: 'string' },
    summary: { type: 'string', description: "the canvas line: a Liquid template over the node's params" },
    params: { type: 'object', additionalProperties: true, description: 'the JSON Schema of the params' },
    outputs: { type: ['array', 'null'], items: { type: 'string' }, description: 'null when computed from params' },
    credentials: { type: 'array', items: { type: 'string' } },
    webhook: {
      type: 'boolean',
      description:
        "a trigger whose runs start from calls to POST /hooks/<journeyId>/<nodeId> (core.webhook's secret, or the definition's own handler)",
    },
    package: {
      type: 'object',
      properties: {
        name: { type: 'string' },
        version: { type: 'string' },
        versions: {
          type: 'array',
          items: { type: 'string' },
          description: 'every installed version defining this type@version, highest first',
        },
      },
      required: ['name', 'version', 'versions'],
    },
  },
  required: ['type', 'version', 'kind', 'title', 'description', 'category', 'params', 'outputs', 'package'],
} as const;

/** API.md "Node catalogue and packages": what the palette offers (packages: routes/packages/packages.ts). */
export async function catalogueRoutes(app: FastifyInstance) {
  const { registry } = app.runtime;

  app.get(
    '/api/nodes',
    {
      schema: {
        tags,
        response: {
          200: { type: 'object', properties: { nodes: { type: 'array', items: nodeSchema } }, required: ['nodes'] },
          ...errorResponses(),
        },
      },
    },
    async (): Promise<{ nodes: CatalogueNode[] }> => ({
      nodes: registry
        .nodes()
        .sort(
          (a, b) => a.definition.type.localeCompare(b.definition.type) || a.definition.version - b.definition.version,
        )
        .map(({ definition: d, package: pkg }) => ({
          type: d.type,
          version: d.version,
          kind: d.kind,
          title: d.title,
          description: d.description,
          category: d.category,
          ...(d.icon ? { icon: d.icon } : {}),
          ...(d.summary ? { summary: d.summary } : {}),
          params: d.params,
          outputs: typeof d.outputs === 'function' ? null : [...outputsOf(d, {})],
          credentials: [...(d.credentials ?? [])],
          ...(takesHookCalls(d) ? { webhook: true } : {}),
          package: { name: pkg.name, version: pkg.version, versions: pkg.versions ?? [pkg.version] },
        })),
    }),
  );
}
