import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DatabaseHealth } from '../../engine/health.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/** A TCP relay to PostgreSQL that can fall silent (a network partition: bytes stop flowing). */
function relay(target: URL) {
  let silent = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d) => silent || upstream.write(d));
    upstream.on('data', (d) => silent || client.write(d));
  });
  return {
    server,
    silence: (on: boolean) => {
      silent = on;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

describe('the database health watch', () => {
  test('reports a database that stops answering within 5 seconds, and its return', async () => {
    const target = new URL(database.url);
    const r = relay(target);
    await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
    const via = new URL(database.url);
    via.hostname = '127.0.0.1';
    via.port = String((r.server.address() as net.AddressInfo).port);
    const health = new DatabaseHealth(via.toString(), 1000);
    health.start();
    try {
      expect(await health.check()).toBe(true);
      r.silence(true);
      const since = Date.now();
      while (health.ok && Date.now() - since < 8000) await new Promise((res) => setTimeout(res, 100));
      expect(health.ok).toBe(false);
      expect(Date.now() - since).toBeLessThan(5000);
      expect(health.reason).toBe('database unreachable');
      r.silence(false);
      const back = Date.now();
      while (!health.ok && Date.now() - back < 8000) await new Promise((res) => setTimeout(res, 100));
      expect(health.ok).toBe(true);
    } finally {
      await health.stop();
      await r.close();
    }
  });

  test('reports a refused connection at the first look', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const health = new DatabaseHealth(`postgres://root@127.0.0.1:${port}/none`, 1000);
    try {
      expect(await health.check()).toBe(false);
    } finally {
      await health.stop();
    }
  });
});
