import { runNode } from '@waymark/sdk/testing';
import { describe, expect, test } from 'vitest';
import respond from '../src/respond.js';

describe('core.respond', () => {
  test('answers with its status and the body rendered against the trigger, and goes on', async () => {
    const { result } = await runNode(respond, {
      params: { status: 201, body: { greeting: 'Hello {{ trigger.name }}' } },
      trigger: { name: 'Ada' },
    });
    expect(result).toEqual({ next: 'out', output: { status: 201, body: { greeting: 'Hello Ada' } } });
  });

  test('answers 200 with an empty body by default', async () => {
    const { result } = await runNode(respond, { params: {} });
    expect(result).toEqual({ next: 'out', output: { status: 200, body: {} } });
  });

  test('refuses a status outside 200–599', async () => {
    await expect(runNode(respond, { params: { status: 99 } })).rejects.toThrow(/status/);
  });
});
