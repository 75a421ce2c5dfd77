import { NodeError, RetryableError } from '@waymark/sdk';
import { runNode } from '@waymark/sdk/testing';
import { describe, expect, test } from 'vitest';
import request from './request.js';

const params = {
  method: 'POST',
  url: 'https://api.example.com/orders/{{ trigger.orderId }}',
  body: '{"id":"{{ trigger.orderId }}"}',
};

describe('http.request', () => {
  test('takes ok with status, headers and body', async () => {
    const { result, http } = await runNode(request, {
      params,
      trigger: { orderId: '42' },
      http: () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: { ok: true } }),
    });
    expect(http[0]).toMatchObject({ method: 'POST', url: 'https://api.example.com/orders/42', body: '{"id":"42"}' });
    expect(http[0]?.headers['idempotency-key']).toBeTruthy();
    expect(result).toEqual({
      next: 'ok',
      output: { status: 200, headers: { 'content-type': 'application/json' }, body: { ok: true } },
    });
  });

  test('asks for up to 5 redirects to be followed, none with followRedirects false', async () => {
    const answer = () => ({ status: 200, headers: {}, body: '' });
    const followed = await runNode(request, { params, http: answer });
    expect(followed.http[0]?.maxRedirects).toBe(5);
    const kept = await runNode(request, { params: { ...params, followRedirects: false }, http: answer });
    expect(kept.http[0]?.maxRedirects).toBe(0);
  });

  test('names the URL a redirect led to in its output', async () => {
    const { result } = await runNode(request, {
      params,
      http: () => ({ status: 200, headers: {}, body: 'moved here', url: 'https://api.example.com/v2/orders/42' }),
    });
    expect(result).toEqual({
      next: 'ok',
      output: { status: 200, headers: {}, body: 'moved here', url: 'https://api.example.com/v2/orders/42' },
    });
  });

  test('fails at once on a 4xx with its code and the answer kept for the error output', async () => {
    const run = runNode(request, { params, http: () => ({ status: 404, headers: {}, body: 'no' }) });
    await expect(run).rejects.toMatchObject({
      retryable: false,
      stepCode: 'http.status-404',
      message: 'POST https://api.example.com/orders/ answered 404',
      output: { status: 404, headers: {}, body: 'no' },
    });
  });

  test('fails at once with http.response-too-large on an answer cut at 1 MiB, passing no cut body on', async () => {
    const run = runNode(request, {
      params,
      http: () => ({ status: 200, headers: {}, body: 'x'.repeat(1024 * 1024), truncated: true }),
    });
    await expect(run).rejects.toMatchObject({
      retryable: false,
      stepCode: 'http.response-too-large',
      message:
        'POST https://api.example.com/orders/ answered a body larger than 1 MiB (1048576 bytes), the most http.request reads',
      output: { status: 200, headers: {}, body: null },
    });
  });

  test('fails retryably on a 5xx, a 408 and a 429', async () => {
    for (const status of [500, 502, 408, 429]) {
      const run = runNode(request, { params, http: () => ({ status, headers: {}, body: '' }) });
      await expect(run).rejects.toMatchObject({ retryable: true, stepCode: `http.status-${status}` });
    }
  });

  test('asks for the delay a Retry-After on a 503 or 429 names', async () => {
    const run = runNode(request, { params, http: () => ({ status: 503, headers: { 'retry-after': '7' }, body: '' }) });
    await expect(run).rejects.toMatchObject({ retryable: true, retryAfterMs: 7000 });
    const other = runNode(request, {
      params,
      http: () => ({ status: 500, headers: { 'retry-after': '7' }, body: '' }),
    });
    await expect(other).rejects.toMatchObject({ retryAfterMs: undefined });
  });

  test('a Retry-After that is neither seconds nor an HTTP date asks for no delay of its own', async () => {
    for (const value of ['-5', 'soon', '2026-12-05'])
      await expect(
        runNode(request, { params, http: () => ({ status: 503, headers: { 'retry-after': value }, body: '' }) }),
      ).rejects.toMatchObject({ retryable: true, retryAfterMs: undefined });
  });

  test('passes a refused target on as it came, final', async () => {
    const refused = new NodeError('refused: 127.0.0.1 is a loopback address', { code: 'http.address-refused' });
    const run = runNode(request, {
      params,
      http: () => {
        throw refused;
      },
    });
    await expect(run).rejects.toBe(refused);
  });

  test('passes a timeout on as it came, retryable', async () => {
    const run = runNode(request, {
      params,
      http: () => {
        throw new RetryableError('timed out', { code: 'http.timeout' });
      },
    });
    await expect(run).rejects.toMatchObject({ retryable: true, stepCode: 'http.timeout' });
  });
});
