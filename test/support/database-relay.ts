import net from 'node:net';

/** How the relay treats PostgreSQL's traffic: `silent` as a network partition, `cut` as a server gone away. */
export type RelayState = 'open' | 'silent' | 'cut';

export interface DatabaseRelay {
  /** The database's URL, through the relay: give it to the runtime under test. */
  url: string;
  set(state: RelayState): void;
  close(): Promise<void>;
}

/**
 * A TCP relay between a runtime and PostgreSQL that a test can break for real (no mock):
 * `silent` drops the bytes both ways, so statements get no answer; `cut` drops every
 * connection and every new one at once, as a stopped server does; `open` lets them through.
 *
 * @example
 * const relay = await startDatabaseRelay(database.url);
 * const t = await createTestApp({}, { database: { ...database, url: relay.url } });
 * relay.set('cut');
 */
export async function startDatabaseRelay(databaseUrl: string): Promise<DatabaseRelay> {
  const target = new URL(databaseUrl);
  let state: RelayState = 'open';
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (state === 'cut') return void client.destroy();
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        // One side gone: the other goes too, as PostgreSQL's end of a lost connection would.
        for (const other of [client, upstream]) other.destroy();
      });
    }
    client.on('data', (d) => state === 'open' && upstream.write(d));
    upstream.on('data', (d) => state === 'open' && client.write(d));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const via = new URL(databaseUrl);
  via.hostname = '127.0.0.1';
  via.port = String((server.address() as net.AddressInfo).port);
  const dropAll = () => {
    for (const s of sockets) s.destroy();
  };
  return {
    url: via.toString(),
    set(next) {
      state = next;
      if (next === 'cut') dropAll();
    },
    close() {
      dropAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
