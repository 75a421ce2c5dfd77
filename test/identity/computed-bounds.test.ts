import { describe, expect, test } from 'vitest';
import { identityApp } from './support.js';

// A computed attribute's durations stop at 1,000 years, as every duration does (engine/sdk
// README "Durations"): a longer `within` left the attribute `computing` for ever, and a longer
// `refreshEvery` stopped every computed attribute from refreshing ('timestamp out of range').
const { call, json } = identityApp();

const count = (within?: string) => ({
  kind: 'aggregate',
  fn: 'count',
  event: 'purchase',
  ...(within ? { within } : {}),
});
const put = (name: string, body: object) => call('PUT', `/api/computed-attributes/${name}`, body);

describe('computed attribute duration bounds', () => {
  test('a window past 1000 years is refused at /definition/within', async () => {
    const res = await put('longWindow', { definition: count('P365251D') });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'validation_failed',
      details: [
        {
          path: '/definition/within',
          message: 'within must be an ISO 8601 duration of at most 1000 years (e.g. P90D)',
        },
      ],
    });
  });

  test('a refresh interval past 1000 years is refused at /refreshEvery', async () => {
    const res = await put('rarely', { definition: count(), refreshEvery: 'P300000Y' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'validation_failed',
      details: [
        {
          path: '/refreshEvery',
          message: 'refreshEvery must be an ISO 8601 duration of at least PT10S and at most 1000 years',
        },
      ],
    });
  });

  test('a window and a refresh interval of exactly 1000 years are stored and computed', async () => {
    const res = await put('millennium', { definition: count('P365250D'), refreshEvery: 'P365250D' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ refreshEvery: 'P365250D', definition: { within: 'P365250D' } });
    let status = '';
    for (let i = 0; i < 100 && status !== 'ready'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await json('GET', '/api/computed-attributes/millennium')).status;
    }
    expect(status).toBe('ready');
  });
});
