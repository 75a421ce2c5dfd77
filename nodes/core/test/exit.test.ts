import { runNode } from '@waymark/sdk/testing';
import { describe, expect, test } from 'vitest';
import exit from '../src/exit.js';
import webhook from '../src/webhook.js';

describe('core.exit', () => {
  test('records its goal and follows no output', async () => {
    const { result } = await runNode(exit, { params: { goal: 'purchased' } });
    expect(result).toEqual({ next: [], output: { goal: 'purchased' } });
  });
});

describe('core.webhook', () => {
  test('goes on to out', async () => {
    const { result } = await runNode(webhook, { params: { secret: 'a-secret-of-16-chars' } });
    expect(result).toEqual({ next: 'out' });
  });

  test('refuses a secret shorter than 16 characters', async () => {
    await expect(runNode(webhook, { params: { secret: 'short' } })).rejects.toThrow(/secret/);
  });
});
