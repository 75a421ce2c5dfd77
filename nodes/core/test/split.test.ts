import { outputsOf } from '@waymark/sdk';
import { runNode } from '@waymark/sdk/testing';
import { describe, expect, test } from 'vitest';
import split, { pickVariant } from '../src/split.js';

const variants = [
  { key: 'a', weight: 50 },
  { key: 'b', weight: 30 },
  { key: 'control', weight: 20 },
];

describe('core.split', () => {
  test('has one output per variant key', () => {
    expect(outputsOf(split, { variants })).toEqual(['a', 'b', 'control']);
  });

  test('puts a contact in the same variant every time', async () => {
    const contact = { id: '8b3f8f0c-7f53-4a55-8a4e-1c3a9b2f6d10' };
    const first = await runNode(split, { params: { variants }, contact });
    const again = await runNode(split, { params: { variants }, contact });
    expect(again.result).toEqual(first.result);
    const { next, output } = first.result as { next: string; output: { variant: string } };
    expect(output.variant).toBe(next);
  });

  test('spreads contacts by weight', () => {
    const counts: Record<string, number> = { a: 0, b: 0, control: 0 };
    for (let i = 0; i < 10_000; i++) counts[pickVariant(variants, `contact-${i}:n1`)]! += 1;
    expect(counts.a).toBeGreaterThan(4700);
    expect(counts.a).toBeLessThan(5300);
    expect(counts.b).toBeGreaterThan(2700);
    expect(counts.control).toBeGreaterThan(1700);
  });

  test('logs the assignment at debug', async () => {
    const { logs } = await runNode(split, { params: { variants } });
    expect(logs[0]).toMatchObject({ level: 'debug' });
    expect(logs[0]?.obj).toHaveProperty('variant');
  });
});

describe('core.split params', () => {
  test('refuse weights that do not sum to 100', async () => {
    const run = runNode(split, {
      params: {
        variants: [
          { key: 'a', weight: 50 },
          { key: 'b', weight: 40 },
        ],
      },
    });
    await expect(run).rejects.toThrow(/sum to 100/);
  });

  test('refuse a key used twice', async () => {
    const run = runNode(split, {
      params: {
        variants: [
          { key: 'a', weight: 50 },
          { key: 'a', weight: 50 },
        ],
      },
    });
    await expect(run).rejects.toThrow(/used twice/);
  });
});
