import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DatabaseHealth } from '../../engine/health.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startDatabaseRelay } from '../support/database-relay.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

describe('the database health watch', () => {
  test('reports a database that stops answering within 5 seconds, and its return', async () => {
    const r = await startDatabaseRelay(database.url);
    const health = new DatabaseHealth(r.url, 1000);
    health.start();
    try {
      expect(await health.check()).toBe(true);
      r.set('silent');
      const since = Date.now();
      while (health.ok && Date.now() - since < 8000) await new Promise((res) => setTimeout(res, 100));
      expect(health.ok).toBe(false);
      expect(Date.now() - since).toBeLessThan(5000);
      expect(health.reason).toBe('database unreachable');
      r.set('open');
      const back = Date.now();
      while (!health.ok && Date.now() - back < 8000) await new Promise((res) => setTimeout(res, 100));
      expect(health.ok).toBe(true);
    } finally {
      await health.stop();
      await r.close();
    }
  });

  test('a look while the process is busy (its event loop held twice for 2 s) still finds the database', async () => {
    const health = new DatabaseHealth(database.url, 60_000);
    /** Holds the event loop, as a long template render does. */
    const hold = (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until);
    };
    try {
      const look = health.check();
      hold(2000);
      await new Promise((resolve) => setTimeout(resolve, 0));
      hold(2000);
      expect(await look).toBe(true);
      expect(health.ok).toBe(true);
    } finally {
      await health.stop();
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
