import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SHUTDOWN_FLUSH_MS } from '../../../engine/observability/tracing.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { startWaymark, stop } from '../support/processes.js';

let database: TestDatabase;
let silent: net.Server;
const held: net.Socket[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  // A collector that takes the connection and never answers.
  silent = net.createServer((socket) => {
    held.push(socket);
    socket.resume();
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const socket of held) socket.destroy();
  await new Promise((resolve) => silent?.close(resolve));
  await database?.drop();
});

describe('a collector that never answers', () => {
  test('holds a SIGTERM for at most a few seconds: the spans it did not take are dropped', async () => {
    const { port } = silent.address() as net.AddressInfo;
    const server = await startWaymark('server', database.url, {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    // Webhook calls make spans; their export hangs on the silent collector.
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`http://127.0.0.1:${server.port}/hooks/${crypto.randomUUID()}/hook`, { method: 'POST' });
      expect(res.status).toBe(404);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(held.length).toBeGreaterThan(0);
    const stopping = Date.now();
    await stop(server);
    expect(server.child.exitCode).toBe(0);
    // The exporter's own timeout is 10 s; the rest of a shutdown takes a second or two.
    expect(Date.now() - stopping).toBeLessThan(SHUTDOWN_FLUSH_MS + 4_000);
  }, 120_000);
});
