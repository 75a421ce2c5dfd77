/** A failed step's error (API.md "Step errors"), in every answer that shows one. */
export const stepErrorSchema = {
  type: 'object',
  properties: {
    code: { type: 'string', description: 'stable: NODES.md "Error codes" or one a package documents' },
    message: { type: 'string' },
    attempts: { type: 'integer', description: 'attempts made' },
    retryable: { type: 'boolean', description: 'whether a later attempt could succeed' },
  },
  required: ['message'],
} as const;
