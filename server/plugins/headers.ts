import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import helmet from 'helmet';

/**
 * Browser hardening on every answer (helmet): pages may run only our own scripts and may not
 * be framed; nothing is sniffed. The editor's components set inline `style` attributes, so
 * styles allow them (scripts never do). Tracking pixels and redirects are loaded by mail
 * clients from other origins, hence a cross-origin resource policy. Strict-Transport-Security
 * is left to the TLS-terminating proxy, which knows the domain.
 */
const secureHeaders = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      // An email's own images, stylesheets and web fonts, shown in the previews' sandboxed
      // frames: a frame's `srcdoc` inherits this policy, so it must allow what a frame may show,
      // and each frame narrows it with a policy of its own (the outbox's blocks them until
      // asked). The editor's own pages load nothing remote.
      styleSrc: ["'self'", "'unsafe-inline'", 'https:', 'http:'],
      imgSrc: ["'self'", 'data:', 'https:', 'http:'],
      fontSrc: ["'self'", 'data:', 'https:', 'http:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
  crossOriginResourcePolicy: { policy: 'cross-origin' },
  strictTransportSecurity: false,
});

/**
 * Puts the headers on one answer. The hook below does it for every request that reaches the
 * router's routes or its 404 handler; an answer fastify gives before routing (its
 * `frameworkErrors`), which runs no hook, calls it itself.
 */
export function hardenAnswer(request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void = () => {}) {
  secureHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
}

/**
 * The same headers as `Name: value` lines, for an answer written to the socket by hand (a
 * request Node refuses before any route or hook sees it). helmet's policy depends on nothing
 * in the request, so they are collected once, at load.
 */
export const SECURITY_HEADER_LINES: string = (() => {
  const lines: string[] = [];
  const collector = {
    setHeader: (name: string, value: unknown) => lines.push(`${name}: ${value}\r\n`),
    removeHeader() {},
  };
  secureHeaders({} as IncomingMessage, collector as unknown as ServerResponse, () => {});
  return lines.join('');
})();

// helmet's middleware is built once: @fastify/helmet built it anew for every request (its
// policy parsed each time), 6% of the server's CPU on a webhook.
export const headersPlugin = fp(async (app: FastifyInstance) => {
  app.addHook('onRequest', (request, reply, done) => hardenAnswer(request, reply, done));
});
