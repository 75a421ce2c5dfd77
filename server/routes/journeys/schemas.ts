import { NOT_BLANK_PATTERN } from '@waymark/sdk';
import { graphSchema, settingsSchema } from '../../../engine/graph/types.js';
import { uuid } from '../../schemas/ids.js';
import { versionNumber } from '../../schemas/version-number.js';

// Response schemas name every field they keep; graphs keep whatever the editor stored
// (xyflow adds its own fields), so their objects stay open.
const openObject = { type: 'object', additionalProperties: true } as const;

export const graphResponseSchema = {
  type: 'object',
  properties: {
    nodes: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: true,
        properties: {
          id: { type: 'string' },
          type: { type: 'string' },
          version: { type: 'integer' },
          params: openObject,
          position: openObject,
        },
      },
    },
    edges: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: true,
        properties: {
          id: { type: 'string' },
          source: { type: 'string' },
          sourceHandle: { type: 'string' },
          target: { type: 'string' },
        },
      },
    },
  },
  required: ['nodes', 'edges'],
} as const;

export const settingsResponseSchema = {
  ...settingsSchema,
  required: ['reentry', 'exitOn'],
} as const;

export const journeyIdParams = {
  type: 'object',
  properties: { id: { ...uuid, description: 'the journey id (a UUID; anything else is 400)' } },
  required: ['id'],
} as const;

const status = { type: 'string', enum: ['draft', 'live', 'paused', 'archived'] } as const;

/** One journey tag: letters, digits and a few marks, inner spaces allowed, starting with a letter or digit. */
export const journeyTag = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  pattern: '^[\\p{L}\\p{N}](?:[\\p{L}\\p{N} _.:/&+#-]*[\\p{L}\\p{N}_.:/&+#-])?$',
  description: 'letters, digits, inner spaces and _ . : / & + # -; starts with a letter or digit',
} as const;

const tagsBody = {
  type: 'array',
  maxItems: 20,
  items: journeyTag,
  description: 'replaces the journey’s tags; a tag given twice is kept once',
} as const;
const nullableVersion = { type: ['integer', 'null'] } as const;
const time = { type: 'string', format: 'date-time' } as const;

export const journeySummarySchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    status,
    publishedVersion: nullableVersion,
    tags: { type: 'array', items: { type: 'string' } },
    updatedAt: time,
  },
  required: ['id', 'name', 'status', 'publishedVersion', 'tags', 'updatedAt'],
} as const;

export const journeySchema = {
  type: 'object',
  properties: {
    ...journeySummarySchema.properties,
    draft: {
      type: 'object',
      properties: { graph: graphResponseSchema, settings: settingsResponseSchema },
      required: ['graph', 'settings'],
    },
    versions: {
      type: 'array',
      items: {
        type: 'object',
        properties: { version: { type: 'integer' }, publishedAt: time },
        required: ['version', 'publishedAt'],
      },
    },
    createdAt: time,
    archivedAt: { type: ['string', 'null'], format: 'date-time' },
  },
  required: [...journeySummarySchema.required, 'draft', 'versions', 'createdAt', 'archivedAt'],
} as const;

/** A journey answer with its ETag: the draft's revision, to send back as If-Match (server/README.md). */
export const taggedJourneySchema = {
  ...journeySchema,
  headers: {
    ETag: { type: 'string', description: 'the draft’s revision, e.g. "3"; send it as If-Match to save only over it' },
  },
} as const;

/** The optional precondition of a draft save (RFC 9110 13.1.1). */
export const draftHeaders = {
  type: 'object',
  properties: {
    'if-match': {
      type: 'string',
      description:
        'save only while the draft is still this revision (an ETag of a journey answer), else 412 precondition_failed; `*`: always',
    },
  },
} as const;

export const versionSchema = {
  type: 'object',
  properties: {
    version: { type: 'integer' },
    graph: graphResponseSchema,
    settings: settingsResponseSchema,
    publishedAt: time,
    packages: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'the installed package versions this version runs, by name (pinned at publish)',
    },
  },
  required: ['version', 'graph', 'settings', 'publishedAt', 'packages'],
} as const;

// A blank name cannot be told apart in the journey list.
const name = { type: 'string', minLength: 1, maxLength: 200, pattern: NOT_BLANK_PATTERN } as const;

export const createBody = {
  type: 'object',
  properties: {
    name,
    graph: graphSchema,
    settings: settingsSchema,
    tags: tagsBody,
    template: { type: 'string', minLength: 1, description: 'a journey template id: the draft starts as its graph' },
  },
  required: ['name'],
  additionalProperties: false,
} as const;

export const patchBody = {
  type: 'object',
  properties: { name, settings: settingsSchema, tags: tagsBody },
  additionalProperties: false,
} as const;

export const listQuery = {
  type: 'object',
  properties: {
    tag: { ...journeyTag, description: 'only the journeys carrying this tag' },
    status: { ...status, description: 'only the journeys in this status (archived ones are listed only so)' },
  },
  additionalProperties: false,
} as const;

export const draftBody = {
  type: 'object',
  properties: { graph: graphSchema, settings: settingsSchema },
  required: ['graph'],
  additionalProperties: false,
} as const;

const problem = {
  type: 'object',
  properties: {
    nodeId: { type: 'string' },
    edgeId: { type: 'string' },
    path: { type: 'string' },
    message: { type: 'string' },
  },
  required: ['message'],
} as const;

export const validationResultSchema = {
  type: 'object',
  properties: { valid: { type: 'boolean' }, errors: { type: 'array', items: problem } },
  required: ['valid'],
} as const;

const ids = { type: 'array', items: { type: 'string' } } as const;

// A number past PostgreSQL's integer is refused here, not by the query that would compare it.
const versionOrDraft = {
  anyOf: [versionNumber, { type: 'string', enum: ['draft'] }],
  description: 'a version number or "draft"',
} as const;

export const diffQuery = {
  type: 'object',
  properties: { from: versionOrDraft, to: { ...versionOrDraft, default: 'draft' } },
  required: ['from'],
  additionalProperties: false,
} as const;

export const diffSchema = {
  type: 'object',
  properties: {
    nodes: {
      type: 'object',
      properties: {
        added: ids,
        removed: ids,
        changed: {
          type: 'array',
          items: { type: 'object', properties: { id: { type: 'string' }, paths: ids }, required: ['id', 'paths'] },
        },
      },
      required: ['added', 'removed', 'changed'],
    },
    edges: { type: 'object', properties: { added: ids, removed: ids }, required: ['added', 'removed'] },
  },
  required: ['nodes', 'edges'],
} as const;

const count = { type: 'integer' } as const;

export const statsSchema = {
  type: 'object',
  properties: {
    nodes: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: { entered: count, completed: count, failed: count, waiting: count },
        required: ['entered', 'completed', 'failed', 'waiting'],
      },
    },
    outputs: { type: 'object', additionalProperties: { type: 'object', additionalProperties: count } },
    entries: {
      type: 'object',
      description: "the whole journey's entries, whatever the version",
      properties: {
        entered: count,
        queued: count,
        skipped: {
          type: 'object',
          properties: { 'entry-cap': count, reentry: count },
          required: ['entry-cap', 'reentry'],
        },
      },
      required: ['entered', 'queued', 'skipped'],
    },
  },
  required: ['nodes', 'outputs', 'entries'],
} as const;
