import { runNode } from '@waymark/sdk/testing';
import { describe, expect, test } from 'vitest';
import condition from '../src/condition.js';

describe('core.condition', () => {
  test('takes yes when the contact matches', async () => {
    const { result } = await runNode(condition, {
      params: { filter: { attr: 'country', op: 'eq', value: 'FI' } },
      contact: { attributes: { country: 'FI' } },
    });
    expect(result).toEqual({ next: 'yes', output: { matched: true } });
  });

  test('takes no when it does not', async () => {
    const { result } = await runNode(condition, {
      params: { filter: { attr: 'country', op: 'eq', value: 'FI' } },
      contact: { attributes: { country: 'SE' } },
    });
    expect(result).toEqual({ next: 'no', output: { matched: false } });
  });

  test('branches on an earlier step’s output', async () => {
    const { result } = await runNode(condition, {
      params: { filter: { step: 'w1', path: 'event.properties.key', op: 'eq', value: 'a' } },
      steps: { w1: { output: { event: { properties: { key: 'a' } } } } },
    });
    expect(result).toMatchObject({ next: 'yes' });
  });
});
