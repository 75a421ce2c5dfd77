import type { FastifyRequest } from 'fastify';

/** How much of a too-large body is read (and thrown away) so that the client reads the 413. */
export const DRAIN_BOUND = 8 * 1024 * 1024;

/**
 * Reads and discards the rest of a body that is over its route's limit, before the 413 is
 * sent. Answering while the client is still sending and then closing the connection resets
 * it, and many clients (Node's own `fetch` among them) then report a connection error instead
 * of the answer. At most DRAIN_BOUND bytes past the limit are read: a body that declares
 * more, or turns out longer, is not drained, and the 413 goes out on a connection that
 * closes. Resolves true when the whole body was read.
 */
export function drainOversizedBody(request: FastifyRequest): Promise<boolean> {
  const raw = request.raw;
  if (raw.complete || raw.readableEnded) return Promise.resolve(true);
  if (raw.destroyed) return Promise.resolve(false);
  const limit = request.routeOptions.bodyLimit ?? 0;
  const declared = Number(request.headers['content-length']);
  // Fastify refused a declared length without reading any of it; a streamed body it read up to the limit.
  if (Number.isFinite(declared) && declared > limit + DRAIN_BOUND) return Promise.resolve(false);
  return new Promise((resolve) => {
    let read = 0;
    const finish = (whole: boolean) => {
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('error', onFail);
      raw.off('close', onFail);
      if (!whole) raw.pause();
      resolve(whole);
    };
    const onData = (chunk: Buffer | string) => {
      read += chunk.length;
      if (read > DRAIN_BOUND) finish(false);
    };
    const onEnd = () => finish(true);
    const onFail = () => finish(raw.complete);
    raw.on('data', onData);
    raw.on('end', onEnd);
    raw.on('error', onFail);
    raw.on('close', onFail);
    raw.resume();
  });
}
