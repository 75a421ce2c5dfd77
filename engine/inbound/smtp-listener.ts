import type { AddressInfo } from 'node:net';
import { ValidationError } from '@waymark/sdk';
import { SMTPServer, type SMTPServerError } from 'smtp-server';
import type { Runtime } from '../runtime.js';
import { inboundAddress } from './addresses.js';
import { receiveMail } from './receive.js';
import { inboundStats } from './stats.js';

/** The largest inbound mail, on the SMTP listener and the webhook alike. */
export const INBOUND_MAX_BYTES = 10 * 1024 * 1024;

export interface InboundSmtp {
  port: number;
  close(): Promise<void>;
}

function smtpError(code: number, message: string): SMTPServerError {
  const error: SMTPServerError = new Error(message);
  error.responseCode = code;
  return error;
}

/**
 * The built-in SMTP listener (`INBOUND_SMTP_PORT`): takes mail only for `reply+…@<domain>` and
 * bounce addresses (550 for anyone else), at most 10 MiB (552), and passes it to
 * `receiveMail`. Malformed MIME is refused for good (554); a failure on our side (the
 * database away) answers 451 so that the sender tries again: nothing is lost.
 *
 * @example
 * const smtp = await startInboundSmtp(runtime, { port: 2525 });
 * await smtp.close();
 */
export async function startInboundSmtp(
  runtime: Runtime,
  options: { port: number; host?: string },
): Promise<InboundSmtp> {
  const domain = runtime.config.inboundEmailDomain;
  if (!domain) throw new Error('the inbound SMTP listener needs INBOUND_EMAIL_DOMAIN');
  const log = runtime.logger.child({ part: 'inbound', via: 'smtp' });
  const server = new SMTPServer({
    name: domain,
    banner: 'Waymark inbound mail',
    authOptional: true,
    disabledCommands: ['AUTH'],
    size: INBOUND_MAX_BYTES,
    rejectOversized: true,
    maxRecipients: 20,
    maxClients: 100,
    socketTimeout: 60_000,
    // Shutdown must end within its 20 s: open sessions get 5 s to finish.
    closeTimeout: 5_000,
    logger: false,
    onRcptTo(address, _session, callback) {
      if (inboundAddress(address.address, domain, runtime.secretKey)) return callback();
      const rejected = inboundStats(runtime).add('rejected');
      log.info({ recipient: address.address, rejected }, 'inbound mail refused: unknown recipient');
      callback(smtpError(550, `5.1.1 <${address.address}>: no such recipient here`));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        if (!stream.sizeExceeded) chunks.push(chunk);
      });
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          inboundStats(runtime).add('rejected');
          return callback(smtpError(552, '5.3.4 message exceeds the fixed maximum message size'));
        }
        const recipients = session.envelope.rcptTo.map((r) => r.address);
        receiveMail(runtime, Buffer.concat(chunks), { via: 'smtp', recipients }).then(
          () => callback(null, 'Message accepted'),
          (error: unknown) => {
            if (error instanceof ValidationError) return callback(smtpError(554, `5.6.0 ${error.message}`));
            log.error({ err: error }, 'inbound mail could not be stored; the sender will try again');
            callback(smtpError(451, '4.3.0 temporary failure, try again later'));
          },
        );
      });
    },
  });
  server.on('error', (error) => log.error({ err: error }, 'inbound SMTP listener error'));
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port, options.host ?? runtime.config.host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
