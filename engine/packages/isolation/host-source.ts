import { THREAD_RESOURCE_LIMITS } from './thread-limits.js';
import { THREAD_SOURCE } from './thread-source.js';

/**
 * The flags a package version's process starts with, before an `--allow-fs-read=<root>` for
 * each of its roots (its own folder, the SDK's, the address ranges' library): Node's
 * permission model lets it read only those and write nowhere, so neither `/proc/self/environ`
 * nor its parent's, nor Waymark's files, nor another package's are in reach (contract
 * packages.md "Isolation and reach"). It may start the threads its attempts run in
 * (`lockModules` refuses `node:worker_threads` to the package's own code); its warnings about
 * the permission model would print once for every package version. No heap flag: each thread
 * has its own limits (thread-limits.ts), which a process-wide one would override.
 */
export const HOST_FLAGS: readonly string[] = ['--experimental-permission', '--allow-worker', '--no-warnings'];

/**
 * The code a package version's process exits with once its channel to the relay refuses a
 * write: nothing it does can reach Waymark any more (relay-source.ts names it so).
 */
export const HOST_UNHEARD_CODE = 70;

/**
 * The program of a package version's process (started by the relay thread, relay-source.ts,
 * with `HOST_FLAGS`, an empty environment and an IPC channel): it runs each thread the relay
 * asks for (the package thread's program, thread-source.ts) and passes messages between them
 * and the relay, each tagged with the thread's `id`, each thread under `THREAD_RESOURCE_LIMITS`
 * (an `error` carries its `code`, so that running out of memory is told from other crashes).
 * A definitions thread's answers (`calls`) come back as `defined`; the relay raises the flag
 * the main thread waits on. It ends when the relay's channel closes, and with
 * `HOST_UNHEARD_CODE` when the channel refuses a write. Plain JavaScript, run with `-e`.
 */
export const HOST_SOURCE = `
const { Worker, MessageChannel } = require('node:worker_threads');
const THREAD_SOURCE = ${JSON.stringify(THREAD_SOURCE)};
const RESOURCE_LIMITS = ${JSON.stringify(THREAD_RESOURCE_LIMITS)};
const threads = new Map();
const send = (message) => {
  try {
    process.send(message);
  } catch {}
};
process.on('disconnect', () => process.exit(0));
// Node emits a write the channel refuses as an 'error' on process, which unhandled would crash
// this process with a stack trace on Waymark's stderr: EBADF when its descriptor was closed
// under it (a package's thread can wrap descriptor 3 in a socket and end it), EPIPE when the
// relay is gone. Either way no answer can reach Waymark any more: it ends, and the relay fails
// the calls its threads had in flight. No callback on send, which would cost every message a
// tick for what this one listener does.
process.on('error', () => process.exit(${HOST_UNHEARD_CODE}));
process.on('message', (message) => {
  const { op, id } = message;
  if (op === 'start') {
    let port = null;
    let workerData = message.workerData;
    const transferList = [];
    if (message.calls) {
      const channel = new MessageChannel();
      const flag = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
      workerData = { ...workerData, calls: { port: channel.port2, flag } };
      transferList.push(channel.port2);
      port = channel.port1;
      port.on('message', (reply) => send({ op: 'defined', id, reply }));
    }
    const worker = new Worker(THREAD_SOURCE, {
      eval: true,
      env: {},
      workerData,
      transferList,
      stdout: false,
      stderr: false,
      resourceLimits: RESOURCE_LIMITS,
    });
    threads.set(id, { worker, port });
    worker.on('message', (m) => send({ op: 'message', id, message: m }));
    worker.on('error', (error) =>
      send({
        op: 'error',
        id,
        message: String((error && error.message) || error),
        code: error && typeof error.code === 'string' ? error.code : undefined,
      }),
    );
    worker.on('exit', (code) => {
      threads.delete(id);
      if (port) port.close();
      send({ op: 'exit', id, code });
    });
    return;
  }
  const thread = threads.get(id);
  if (!thread) return;
  if (op === 'post') thread.worker.postMessage(message.message);
  else if (op === 'define' && thread.port) thread.port.postMessage(message.message);
  else if (op === 'terminate') void thread.worker.terminate();
});
`;
