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

  test('takes error at once on a 4xx', async () => {
    const { result } = await runNode(request, { params, http: () => ({ status: 404, headers: {}, body: 'no' }) });
    expect(result).toMatchObject({ next: 'error', output: { status: 404 } });
  });

  test('retries a 5xx before the last attempt', async () => {
    const run = runNode(request, { params, http: () => ({ status: 502, headers: {}, body: '' }) });
    await expect(run).rejects.toBeInstanceOf(RetryableError);
  });

  test('takes error on the last attempt of a 5xx', async () => {
    const { result } = await runNode(request, {
      params,
      attempt: 5,
      http: () => ({ status: 502, headers: {}, body: '' }),
    });
    expect(result).toMatchObject({ next: 'error', output: { status: 502 } });
  });

  test('takes error at once when the target is refused', async () => {
    const { result } = await runNode(request, {
      params,
      http: () => {
        throw new NodeError('refused: 127.0.0.1 is a loopback address');
      },
    });
    expect(result).toEqual({ next: 'error', output: { error: 'refused: 127.0.0.1 is a loopback address' } });
  });

  test('retries a timeout, then takes error on the last attempt', async () => {
    const timeout = () => {
      throw new RetryableError('timed out');
    };
    await expect(runNode(request, { params, http: timeout })).rejects.toBeInstanceOf(RetryableError);
    const { result } = await runNode(request, { params, attempt: 5, http: timeout });
    expect(result).toEqual({ next: 'error', output: { error: 'timed out' } });
  });
});
