import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { errorAnswer, sendError } from './errors.js';
import { SECURITY_HEADER_LINES } from './headers.js';

type ClientError = Error & { code?: string; reason?: string };

/** The error code and message for a request Node's parser or timers refused. */
function refusal(error: ClientError): [code: string, message: string] {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return ['headers_too_large', "the request's headers are larger than the server accepts"];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return ['request_timeout', 'the request did not arrive in time'];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return ['payload_too_large', "the body's chunk extensions are too long"];
  }
  const why = error.reason ? ` (${error.reason.replace(/\.$/, '').toLowerCase()})` : '';
  return ['validation_failed', `the request is not well-formed HTTP${why}`];
}

/**
 * fastify's `clientErrorHandler`: a request Node refuses before fastify sees it (a malformed
 * request line or header, a NUL, both Content-Length and Transfer-Encoding, headers over
 * 16 KiB, a timeout) is answered in the one error shape with the security headers every
 * answer carries, then its connection closed — there is no request or reply to hand to the
 * error handler, so the answer is written to the socket.
 */
export function answerClientError(this: FastifyInstance, error: ClientError, socket: Socket) {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, message] = refusal(error);
  this.log.trace({ err: error }, 'client error');
  // Behind an answer already begun on this connection (pipelined), ours would corrupt it.
  const begun = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (socket.writable && !begun) {
    const { status, body } = errorAnswer(code, message);
    const text = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n${SECURITY_HEADER_LINES}\r\n${text}`,
    );
  }
  socket.destroy(error);
}

/**
 * An HTTP/1.1 request without a Host header is refused (RFC 9112 §3.2) here rather than by
 * Node (`requireHostHeader`, turned off in `buildApp`), whose answer has no body and none of
 * our headers. Registered after the security headers and before auth.
 */
export const hostRequiredPlugin = fp(async (app: FastifyInstance) => {
  app.addHook('onRequest', (request, reply, done) => {
    if (request.raw.httpVersion !== '1.1' || request.headers.host !== undefined) return done();
    reply.header('connection', 'close');
    sendError(reply, 'validation_failed', 'an HTTP/1.1 request needs a Host header');
  });
});
