import { describe, expect, test } from 'vitest';
import { nodeSettingsOf, retryFieldText } from '../../../editor/src/lib/graph/node-settings.ts';

// What the node form reads of a node's stored settings, which a draft takes as any JSON.
describe('a node’s settings as its form reads them', () => {
  test('an object is read as it is', () => {
    const settings = { onError: 'output', retry: { attempts: 3, backoff: 'PT5S' } } as const;
    expect(nodeSettingsOf(settings)).toEqual(settings);
  });

  test.each([
    ['a string', 'retry 3 times'],
    ['an array', ['output']],
    ['a number', 3],
    ['null', null],
    ['nothing', undefined],
  ])('%s is no settings', (_what, stored) => {
    expect(nodeSettingsOf(stored)).toEqual({});
  });

  test.each([
    ['a string', 'PT5S'],
    ['an array', [3]],
    ['null', null],
  ])('a retry that is %s is no retry; the rest is kept', (_what, retry) => {
    expect(nodeSettingsOf({ onError: 'continue', retry })).toEqual({ onError: 'continue' });
  });

  test('a retry field shows a number or a string, and anything else as blank', () => {
    const retry = { attempts: 3, backoff: { every: 5 }, maxBackoff: 'PT1M' } as unknown as Parameters<
      typeof retryFieldText
    >[0];
    expect(retryFieldText(retry, 'attempts')).toBe('3');
    expect(retryFieldText(retry, 'backoff')).toBe('');
    expect(retryFieldText(retry, 'maxBackoff')).toBe('PT1M');
    expect(retryFieldText(undefined, 'attempts')).toBe('');
  });
});
