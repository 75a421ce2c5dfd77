import { defineNode, definePackage } from '@waymark/sdk';
import { describe, expect, test } from 'vitest';
import { NodeRegistry } from '../../engine/registry/registry.js';

const node = (type: string, extra: object = {}) => ({
  ...defineNode({
    type,
    version: 1,
    kind: 'action',
    title: 'X',
    description: 'X.',
    category: 'Test',
    params: { type: 'object' },
    outputs: ['out'],
    async run() {
      return { next: 'out' };
    },
  }),
  ...extra,
});

describe('node registry', () => {
  test('refuses a node whose validate hook is not a function', () => {
    const registry = new NodeRegistry();
    const info = registry.add(
      definePackage({ name: 'p', version: '1.0.0', nodes: [node('p.a', { validate: 'yes' })] }),
    );
    expect(info.error).toBe('p.a: validate must be a function when given');
    expect(registry.get('p.a', 1)).toBeUndefined();
  });

  test('a refused package leaves the ones loaded before it in place', () => {
    const registry = new NodeRegistry();
    registry.add(definePackage({ name: 'p', version: '1.0.0', nodes: [node('p.a')] }));
    const info = registry.add(definePackage({ name: 'q', version: '1.0.0', nodes: [node('p.b')] }));
    expect(info.error).toBe('the prefix "p." belongs to p');
    expect(registry.get('p.a', 1)?.package).toEqual({ name: 'p', version: '1.0.0' });
    expect(registry.packages.map((p) => [p.name, p.error ?? null])).toEqual([
      ['p', null],
      ['q', 'the prefix "p." belongs to p'],
    ]);
  });

  test('names a package without a name by where it was loaded from', () => {
    const registry = new NodeRegistry();
    const info = registry.add({ nodes: [] } as never, { source: './x.js' });
    expect(info).toMatchObject({ name: './x.js', version: 'unknown', error: expect.any(String) });
  });
});
