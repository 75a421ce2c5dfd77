import { createRequire } from 'node:module';

/** The part of the `ws` client the live-feed tests use (the package ships no types). */
export interface WsClient {
  on(event: 'message', listener: (data: Buffer) => void): void;
  on(event: 'open', listener: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): void;
  close(): void;
}

const WebSocket = createRequire(import.meta.url)('ws') as new (url: string) => WsClient;

/**
 * Opens `GET /api/live?<query>` on a listening server (`base`: its `ws://host:port`) and
 * collects the JSON messages it sends.
 *
 * @example
 * const feed = await openLiveFeed(base, `token=${TEST_TOKEN}`);
 */
export function openLiveFeed<M = Record<string, unknown>>(
  base: string,
  query: string,
): Promise<{ socket: WsClient; messages: M[] }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${base}/api/live?${query}`);
    const messages: M[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data)) as M));
    socket.on('open', () => resolve({ socket, messages }));
    socket.on('error', reject);
  });
}
