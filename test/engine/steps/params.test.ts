import { defineNode } from '@waymark/sdk';
import { describe, expect, test } from 'vitest';
import { paramsWithDefaults } from '../../../engine/runs/versions.js';

const definition = defineNode({
  type: 'prm.node',
  version: 1,
  kind: 'action',
  title: 'Params',
  description: '',
  category: 'Test',
  params: {
    type: 'object',
    properties: { label: { type: 'string', default: 'none' }, filter: { type: 'object' } },
  },
  outputs: ['out'],
  async run() {
    return { next: 'out' };
  },
});

describe("a step's params", () => {
  test('are the published params with the schema’s defaults filled in', () => {
    const published = { filter: { all: [{ attr: 'plan', op: 'eq', value: 'pro' }] } };
    expect(paramsWithDefaults(definition, published)).toEqual({ ...published, label: 'none' });
  });

  test('are a copy of their own: a node changing them leaves the next step’s as published', () => {
    const published = { filter: { all: [{ attr: 'plan', op: 'eq', value: 'pro' }] } };
    const first = paramsWithDefaults(definition, published) as { filter: { all: Array<{ value: string }> } };
    (first.filter.all[0] as { value: string }).value = 'changed';
    first.filter.all.push({ value: 'more' });
    expect(paramsWithDefaults(definition, published)).toEqual({ ...published, label: 'none' });
    expect(published.filter.all).toHaveLength(1);
  });

  test('keep a key named __proto__ as a key, never as the prototype', () => {
    const published = JSON.parse('{"filter": {"__proto__": {"polluted": true}}}');
    const params = paramsWithDefaults(definition, published) as { filter: Record<string, unknown> };
    expect(Object.keys(params.filter)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(params.filter)).toBe(Object.prototype);
    expect((params.filter as { polluted?: boolean }).polluted).toBeUndefined();
  });
});
