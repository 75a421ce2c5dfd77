import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SmtpSink {
  url: string;
  mails: ParsedMail[];
  /** The SMTP envelope of each mail, in the same order. */
  envelopes: { from: string; to: string[] }[];
  /** Resolves once `count` mails have arrived. */
  waitFor(count: number): Promise<ParsedMail[]>;
  /** Holds the answer to the next mail until `release()`; `arrival` resolves once it has come. */
  hold(): { arrival: Promise<void>; release(): void };
  close(): Promise<void>;
}

/** A real SMTP server on 127.0.0.1 that parses and keeps every mail it receives. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const mails: ParsedMail[] = [];
  const envelopes: SmtpSink['envelopes'] = [];
  const waiters: (() => void)[] = [];
  let held: { arrived(): void; answer: Promise<void> } | null = null;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          const { mailFrom, rcptTo } = session.envelope;
          envelopes.push({ from: mailFrom ? mailFrom.address : '', to: rcptTo.map((r) => r.address) });
          mails.push(mail);
          for (const w of waiters.splice(0)) w();
          const holding = held;
          held = null;
          if (!holding) return callback();
          holding.arrived();
          holding.answer.then(() => callback());
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    envelopes,
    async waitFor(count) {
      while (mails.length < count) await new Promise<void>((r) => waiters.push(r));
      return mails;
    },
    hold() {
      let arrived = () => {};
      let release = () => {};
      const arrival = new Promise<void>((r) => {
        arrived = r;
      });
      held = {
        arrived,
        answer: new Promise<void>((r) => {
          release = r;
        }),
      };
      return { arrival, release };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
