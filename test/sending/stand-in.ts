import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** When the request reached the stand-in (its head read), in ms since the epoch. */
  at: number;
}

export interface StandInAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Written as it is instead of `body` as JSON (a PEM certificate, XML). */
  raw?: string;
}

export interface StandIn {
  url: string;
  requests: ReceivedRequest[];
  /** What the next requests are answered (a provider's documented answer by default). */
  answer(next: (request: ReceivedRequest) => StandInAnswer): void;
  close(): Promise<void>;
}

/** A provider's API on 127.0.0.1: records each request whole and answers as the test says. */
export async function startStandIn(answer: (request: ReceivedRequest) => StandInAnswer): Promise<StandIn> {
  const requests: ReceivedRequest[] = [];
  let respond = answer;
  const server = createServer((req, res) => {
    const at = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at,
      };
      requests.push(request);
      const out = respond(request);
      const json = out.body === undefined ? '' : JSON.stringify(out.body);
      res.writeHead(out.status, { ...(json ? { 'content-type': 'application/json' } : {}), ...out.headers });
      res.end(out.raw ?? json);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer: (next) => {
      respond = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
