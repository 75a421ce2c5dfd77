import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface RawSmtpServer {
  host: string;
  port: number;
  url: string;
  /** Each mail exactly as it arrived (for DKIM checks). */
  raws: Buffer[];
  /** When each mail arrived (ms since the epoch), in the same order. */
  arrivals: number[];
  /** Connections the server accepted. */
  connections(): number;
  waitFor(count: number): Promise<Buffer[]>;
  close(): Promise<void>;
}

/**
 * A real SMTP server on 127.0.0.1 that keeps every mail raw and counts connections. By default
 * it offers no STARTTLS and takes any login; `options` changes that (auth, refusals, TLS).
 */
export async function startRawSmtpServer(options: Partial<SMTPServerOptions> = {}): Promise<RawSmtpServer> {
  const raws: Buffer[] = [];
  const arrivals: number[] = [];
  const waiters: (() => void)[] = [];
  let connections = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    maxClients: 200,
    onConnect(_session, callback) {
      connections++;
      callback();
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        raws.push(Buffer.concat(chunks));
        arrivals.push(Date.now());
        for (const w of waiters.splice(0)) w();
        callback();
      });
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    url: `smtp://127.0.0.1:${port}`,
    raws,
    arrivals,
    connections: () => connections,
    async waitFor(count) {
      while (raws.length < count) await new Promise<void>((r) => waiters.push(r));
      return raws;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
