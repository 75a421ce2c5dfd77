// The sending workload's SMTP sink, in a process of its own (as a mail server would be): it
// keeps only when each mail arrived. Talks to its parent over IPC: sends { port } once
// listening; answers { arrivals } (ms since the epoch) to 'arrivals'.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

const arrivals: number[] = [];
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  maxClients: 500,
  onData(stream, _session, callback) {
    stream.on('end', () => {
      arrivals.push(Date.now());
      callback();
    });
    stream.resume();
  },
});
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.server.address() as AddressInfo).port });
});
process.on('message', (message) => {
  if (message === 'arrivals') process.send?.({ arrivals });
});
process.on('disconnect', () => server.close(() => process.exit(0)));
