import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from '../engine/observability/metrics.js';
import { listenError } from './listen-error.js';

/** The `METRICS_PORT` listener: close it on shutdown. */
export interface MetricsListener {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` without a token on `METRICS_HOST:METRICS_PORT` (API.md "Metrics"), in
 * every process, the worker included; any other path answers 404. A port in use stops
 * start-up with an error naming `METRICS_PORT`. A database outage still answers 200, as on the
 * HTTP port (the same `Metrics`); only a fault of our own answers 500.
 *
 * @example
 * const listener = await startMetricsListener(runtime.metrics, { host: '0.0.0.0', port: 9464 });
 */
export async function startMetricsListener(
  metrics: Metrics,
  at: { host: string; port: number },
): Promise<MetricsListener> {
  const server = http.createServer((request, response) => {
    // As on the API's port (API.md "Auth": every answer).
    response.setHeader('x-content-type-options', 'nosniff');
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify({ error: { code: 'not_found', message: `no route ${request.method} ${path}` } }));
      return;
    }
    metrics.registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'content-type': metrics.registry.contentType });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      () => {
        response.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        response.end(JSON.stringify({ error: { code: 'internal_error', message: 'the metrics could not be read' } }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(listenError(error, { host: 'METRICS_HOST', port: 'METRICS_PORT' }, at)),
    );
    server.listen(at.port, at.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
