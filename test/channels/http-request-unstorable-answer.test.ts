import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type HttpEndpoint, httpEndpoint } from './http-endpoint.js';

// Answers PostgreSQL cannot store as they came (a NUL, a lone surrogate, JSON nested past what
// a jsonb column or JSON.stringify reads): before, the step's output failed to be written, the
// job queue ran the step again and again, calling the endpoint each time, and the run stayed
// `running` with no error to read.
const ANSWERS: Record<string, { type: string; body: Buffer | string }> = {
  '/binary': { type: 'application/octet-stream', body: Buffer.from([0x47, 0x49, 0x46, 0x00, 0x01, 0xff]) },
  '/nul-json': { type: 'application/json', body: '{"name":"Ada\\u0000Lovelace","tags":["a\\u0000"]}' },
  '/surrogate-json': { type: 'application/json', body: '{"name":"half \\ud800 a pair"}' },
  '/deep-json': { type: 'application/json', body: `${'['.repeat(5000)}${']'.repeat(5000)}` },
};

let endpoint: HttpEndpoint;
const calls: Record<string, number> = {};
const runAgainst = (path: string) => endpoint.runAgainst(path);

beforeAll(async () => {
  endpoint = await httpEndpoint((req, res) => {
    req.resume();
    const path = req.url ?? '';
    calls[path] = (calls[path] ?? 0) + 1;
    const answer = ANSWERS[path];
    if (!answer) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': answer.type }).end(answer.body);
  });
});
afterAll(() => endpoint?.close());

describe('http.request answered text PostgreSQL cannot store', () => {
  test('a binary body with a NUL byte takes ok once, its NUL read as U+FFFD', async () => {
    const { run, call, took } = await runAgainst('/binary');
    expect(run.status).toBe('completed');
    expect(took).toEqual(['ok']);
    expect(calls['/binary']).toBe(1);
    expect(call.output.body).toBe('GIF\uFFFD\u0001\uFFFD');
  });

  test('a JSON body with \\u0000 in its strings is passed on parsed, each NUL as U+FFFD', async () => {
    const { run, call, took } = await runAgainst('/nul-json');
    expect(run.status).toBe('completed');
    expect(took).toEqual(['ok']);
    expect(calls['/nul-json']).toBe(1);
    expect(call.output.body).toEqual({ name: 'Ada\uFFFDLovelace', tags: ['a\uFFFD'] });
  });

  test('a JSON body with a lone surrogate is passed on parsed, the surrogate as U+FFFD', async () => {
    const { run, call, took } = await runAgainst('/surrogate-json');
    expect(run.status).toBe('completed');
    expect(took).toEqual(['ok']);
    expect(calls['/surrogate-json']).toBe(1);
    expect(call.output.body).toEqual({ name: 'half \uFFFD a pair' });
  });

  test('a JSON body nested deeper than can be stored is passed on as its text', async () => {
    const { run, call, took } = await runAgainst('/deep-json');
    expect(run.status).toBe('completed');
    expect(took).toEqual(['ok']);
    expect(calls['/deep-json']).toBe(1);
    expect(call.output.body).toBe(ANSWERS['/deep-json']?.body);
  });
});
