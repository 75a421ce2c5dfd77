import { connect, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A chunked body at the start of `raw` (Transfer-Encoding: chunked, a streamed answer): its
 * text and the length of `raw` it took. Sizes count bytes, so the text is read as bytes.
 */
function chunked(raw: string): { body: string; used: number } {
  const bytes = Buffer.from(raw);
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    const size = Number.parseInt(bytes.subarray(at, lineEnd).toString(), 16);
    at = lineEnd + 2;
    if (!size) break;
    parts.push(bytes.subarray(at, at + size));
    at += size + 2;
  }
  // The last chunk's line, then the blank line that ends the (empty) trailers.
  return { body: Buffer.concat(parts).toString(), used: bytes.subarray(0, at + 2).toString().length };
}

/** The HTTP/1.1 answers in `raw`, in order (each with a Content-Length, or chunked). */
export function answers(raw: string): Answer[] {
  const found: Answer[] = [];
  let rest = raw;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    const headers = Object.fromEntries(
      lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
    );
    const status = Number(statusLine.split(' ')[1]);
    if (headers['transfer-encoding'] === 'chunked') {
      const { body, used } = chunked(rest.slice(end + 4));
      found.push({ status, headers, body });
      rest = rest.slice(end + 4 + used);
      continue;
    }
    const length = Number(headers['content-length'] ?? 0);
    found.push({ status, headers, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return found;
}

/**
 * Writes `request` byte for byte to a listener on 127.0.0.1 (what no HTTP client would send)
 * and reads until the server closes the connection. A reset after the answer is no failure:
 * the server may close while the client is still sending.
 */
export function rawExchange(port: number, request: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let raw = '';
    socket.on('data', (chunk) => {
      raw += chunk;
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(raw));
    socket.write(request);
  });
}

/** A request as sent on the wire, with its connection closed after the answer. */
export function wire(method: string, path: string, headers: Record<string, string>, body = ''): string {
  const lines = Object.entries({ ...headers, host: '127.0.0.1', connection: 'close' }).map(
    ([k, v]) => `${k}: ${v}\r\n`,
  );
  return `${method} ${path} HTTP/1.1\r\n${lines.join('')}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/**
 * Opens a connection from `from` (an address of 127.0.0.0/8, one per test: each is counted
 * apart) to a listener on 127.0.0.1 for each of `requests`, and sends them all at once: every
 * connection holds its request but the last byte of its headers before any is sent whole, so
 * the server reads them together, as an attacker's parallel guesses would arrive.
 * `whenSent` is called on each socket once its whole request is written.
 */
async function sendAtOnce(
  port: number,
  from: string,
  requests: string[],
  whenSent: (socket: Socket) => void,
): Promise<Socket[]> {
  const sockets = await Promise.all(
    requests.map(
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect({ port, host: '127.0.0.1', localAddress: from }, () => resolve(socket));
          socket.once('error', reject);
        }),
    ),
  );
  const cuts = requests.map((request) => request.indexOf('\r\n\r\n') + 3);
  for (const [i, socket] of sockets.entries()) socket.write(requests[i]?.slice(0, cuts[i]) ?? '');
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (const [i, socket] of sockets.entries()) socket.write(requests[i]?.slice(cuts[i]) ?? '', () => whenSent(socket));
  return sockets;
}

const closed = (socket: Socket) => new Promise<void>((resolve) => socket.once('close', () => resolve()));

/** Sends `requests` all at once from `from` (`sendAtOnce`) and reads each one's answer. */
export async function burst(port: number, from: string, requests: string[]): Promise<Answer[]> {
  const raws: string[] = requests.map(() => '');
  const sockets = await sendAtOnce(port, from, requests, () => {});
  for (const [i, socket] of sockets.entries())
    socket.on('data', (chunk) => {
      raws[i] += chunk;
    });
  await Promise.all(sockets.map(closed));
  return raws.map((raw) => answers(raw)[0] as Answer);
}

/**
 * Sends `requests` from `from` as a guesser who keeps sending and never waits for an answer:
 * in waves of 10 sent at once (`sendAtOnce`) 20 ms apart, each client destroying its socket as
 * soon as its request is written — while the server is still checking it. Resolves once every
 * connection is closed.
 */
export async function hungUpBurst(port: number, from: string, requests: string[]): Promise<void> {
  const waves = Array.from({ length: Math.ceil(requests.length / 10) }, (_, i) => requests.slice(i * 10, i * 10 + 10));
  await Promise.all(
    waves.map(async (wave, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * 20));
      const sockets = await sendAtOnce(port, from, wave, (socket) => socket.destroy());
      await Promise.all(sockets.map(closed));
    }),
  );
}

/**
 * The statuses `app` answers with, by the client's address, hung-up clients included: an
 * onSend hook (it comes also when the client has gone, where onResponse would not). Install
 * it before the app is ready (`createTestApp`'s `beforeReady`).
 */
export function statusesSent(app: FastifyInstance): (address: string) => number[] {
  const sent = new Map<string, number[]>();
  app.addHook('onSend', async (request, reply, payload) => {
    sent.set(request.ip, [...(sent.get(request.ip) ?? []), reply.statusCode]);
    return payload;
  });
  return (address) => sent.get(address) ?? [];
}
