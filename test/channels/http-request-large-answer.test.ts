import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type HttpEndpoint, httpEndpoint } from './http-endpoint.js';

const MiB = 1024 * 1024;
/** A JSON document of exactly `bytes` bytes: `{"pad":"xxx…"}`. */
const jsonOf = (bytes: number) => `{"pad":"${'x'.repeat(bytes - 10)}"}`;

let endpoint: HttpEndpoint;
let calls = 0;
const runAgainst = (path: string) => endpoint.runAgainst(path);

beforeAll(async () => {
  // A stand-in endpoint answering JSON bodies of the size its path names.
  endpoint = await httpEndpoint((req, res) => {
    calls++;
    req.resume();
    const size = req.url?.startsWith('/exact') ? MiB : 2 * MiB;
    const status = req.url?.startsWith('/down') ? 503 : 200;
    res.writeHead(status, { 'content-type': 'application/json' }).end(jsonOf(size));
  });
});
afterAll(() => endpoint?.close());

describe('http.request answered a body over 1 MiB', () => {
  test('fails the step at once with http.response-too-large naming the cap, never passing a cut body on', async () => {
    const before = calls;
    const { run, call, took } = await runAgainst('/big');
    expect(calls - before).toBe(1); // not retried: the same answer would come again
    expect(run.status).toBe('completed');
    expect(took).toEqual(['handled']);
    expect(call.output).toMatchObject({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: null,
      error: {
        code: 'http.response-too-large',
        message: expect.stringContaining('1 MiB'),
        retryable: false,
        attempts: 1,
      },
    });
  });

  test('a body of exactly 1 MiB is read whole and parsed', async () => {
    const { call, took } = await runAgainst('/exact');
    expect(took).toEqual(['ok']);
    expect(call.output.status).toBe(200);
    expect(call.output.body.pad).toHaveLength(MiB - 10);
  });

  test('a 503 with a large body keeps its status code and retries, its body not passed on cut', async () => {
    const before = calls;
    const { call, took } = await runAgainst('/down');
    expect(calls - before).toBe(3);
    expect(took).toEqual(['handled']);
    expect(call.output).toMatchObject({ status: 503, body: null, error: { code: 'http.status-503' } });
  });
});
