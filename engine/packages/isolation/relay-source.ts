import { HOST_UNHEARD_CODE } from './host-source.js';

/** How long a package version's process with no thread left is kept for the next attempt. */
export const HOST_IDLE_MS = 60_000;

/**
 * How long a package version's process whose channel closed may take to exit of itself (a
 * crash, whose exit names how; its exit once its next write is refused) before the relay
 * fails the calls its threads had in flight and ends it.
 */
export const HOST_UNHEARD_MS = 1_000;

/**
 * How long a definition call's caller, blocked on its flag, waits once its process's channel
 * closed before it is told no answer will come: long enough for a killed process's exit,
 * which follows the close and names the signal, short enough to be no wait to a user.
 */
export const HOST_CLOSED_WAKE_MS = 100;

/**
 * The ranges of addresses that reach this machine, whatever the address: in `reach.denied` as
 * `<range> <port>` (thread-reach-source.ts).
 */
export const LOCAL_RANGES = ['loopback', 'unspecified'];

/**
 * The program of the relay thread (package-hosts.ts starts one in Waymark's process, as
 * trusted code): it starts a process for each package version (`key`) on its first thread,
 * with `HOST_FLAGS` and its roots to read, no environment and the program `hostSource` (host-source.ts), and passes
 * each thread's messages between the main thread and that process (a thread's `error` with
 * its `code`). It is a thread of its own so that the main thread may sleep on a definition call's flag (definition-calls.ts) while
 * the relay hears the answer and raises the flag. A process answers only for its own threads:
 * a message naming another's `id` is dropped. When a process ends, every thread it ran fails
 * with an `error` naming how, then `exit`s, each once. A process whose channel closes (it
 * ended, or a package closed its descriptor under it) gets no new thread; unless it exits
 * within `HOST_UNHEARD_MS` it is ended, and so is it at once when a message for it comes
 * (the call it was for could never be answered), its threads failing with "it lost its
 * channel to Waymark", as when it exits with `HOST_UNHEARD_CODE` (host-source.ts). An `error`
 * the channel emits (a send refused, EPIPE) ends the process and its threads too. A
 * definitions thread's caller, asleep on its flag, is woken with `{ ended }` on its port as soon
 * as its process is known gone (ended, or its channel closed `HOST_CLOSED_WAKE_MS` before):
 * its call fails at once. The sends
 * pass no callback, which would take the channel's `error` event, and with it the word that the threads
 * must fail. Once `reach.denied` is known (the database's
 * addresses as ipaddr.js writes them, or a `LOCAL_RANGES` name, each with its port: resolved here, where a lookup may
 * wait), it serves messages, which a port holds until then.
 */
export const RELAY_SOURCE = `
(async function (require) {
const { parentPort, workerData } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const { lookup } = require('node:dns/promises');
const { networkInterfaces } = require('node:os');
const { execPath, hostSource, hostFlags, database, allowPrivate, ipaddrPath } = workerData;
const ipaddr = require(ipaddrPath);
const HOST_IDLE_MS = ${HOST_IDLE_MS};
const HOST_UNHEARD_MS = ${HOST_UNHEARD_MS};
const HOST_UNHEARD_CODE = ${HOST_UNHEARD_CODE};
const HOST_CLOSED_WAKE_MS = ${HOST_CLOSED_WAKE_MS};
const LOCAL_RANGES = ${JSON.stringify(LOCAL_RANGES)};

// The database's addresses, each with its port. One on this machine answers on all of this
// machine's addresses and on any loopback one, which are then all denied at its port.
async function deniedOf(database) {
  if (!database || database.host.startsWith('/')) return [];
  const found = ipaddr.isValid(database.host)
    ? [database.host]
    : (await lookup(database.host, { all: true }).catch(() => [])).map((f) => f.address);
  const norm = (address) => ipaddr.process(address).toString();
  const own = Object.values(networkInterfaces())
    .flat()
    .map((i) => i.address)
    .filter((a) => ipaddr.isValid(a))
    .map(norm);
  const local = found.some((a) => LOCAL_RANGES.includes(ipaddr.process(a).range()) || own.includes(norm(a)));
  const addresses = local ? [...own, ...LOCAL_RANGES] : found.map(norm);
  return addresses.map((a) => a + ' ' + database.port);
}
const reach = { allowPrivate, ipaddrPath, denied: await deniedOf(database) };

const hosts = new Map();
// Every process started and not yet exited, those no longer in hosts (channel closed) too.
const children = new Set();
const threads = new Map();
const post = (message) => parentPort.postMessage(message);

// A definitions thread's caller sleeps on its flag (definition-calls.ts), deaf to the thread's
// 'error' and 'exit': it is told on its port, and woken, that no answer will come.
const PROCESS_ENDED = "the package's process ended (";
function wake(thread, how) {
  if (!thread || !thread.calls) return;
  thread.calls.port.postMessage({ ended: PROCESS_ENDED + how + ')' });
  Atomics.store(thread.calls.flag, 0, 1);
  Atomics.notify(thread.calls.flag, 0);
}

function ended(host, how) {
  if (hosts.get(host.key) === host) hosts.delete(host.key);
  clearTimeout(host.idle);
  clearTimeout(host.unheard);
  clearTimeout(host.closed);
  for (const id of host.ids) {
    const thread = threads.get(id);
    threads.delete(id);
    wake(thread, how);
    if (thread && thread.calls) thread.calls.port.close();
    post({ op: 'error', id, message: PROCESS_ENDED + how + ')' });
    post({ op: 'exit', id, code: 1 });
  }
  host.ids.clear();
}

// A process that can no longer hear the relay: its threads fail now, as a crashed process's
// do, and it is ended.
const UNHEARD = 'it lost its channel to Waymark';
function unheard(host) {
  ended(host, UNHEARD);
  host.child.kill();
}

// A message to a process; one whose channel closed can take none, and the call it was for
// fails at once instead of waiting for an answer that cannot come.
function tell(host, message) {
  if (host.child.connected) host.child.send(message);
  else unheard(host);
}

function hostOf(key, roots) {
  const running = hosts.get(key);
  if (running && running.child.connected) {
    clearTimeout(running.idle);
    return running;
  }
  const child = spawn(execPath, [...hostFlags, ...roots.map((root) => '--allow-fs-read=' + root), '-e', hostSource], {
    env: {},
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const host = { key, child, ids: new Set(), idle: null, unheard: null, closed: null };
  hosts.set(key, host);
  children.add(child);
  child.on('message', (message) => {
    if (!message || typeof message !== 'object' || !host.ids.has(message.id)) return;
    const { op, id } = message;
    const thread = threads.get(id);
    if (op === 'defined') {
      if (!thread || !thread.calls) return;
      thread.calls.port.postMessage(message.reply);
      Atomics.store(thread.calls.flag, 0, 1);
      Atomics.notify(thread.calls.flag, 0);
    } else if (op === 'message') post({ op, id, message: message.message });
    else if (op === 'error')
      post({ op, id, message: String(message.message), code: typeof message.code === 'string' ? message.code : undefined });
    else if (op === 'exit') {
      host.ids.delete(id);
      threads.delete(id);
      if (thread && thread.calls) thread.calls.port.close();
      post({ op, id, code: Number(message.code) });
      if (host.ids.size === 0) {
        host.idle = setTimeout(() => child.kill(), HOST_IDLE_MS);
        host.idle.unref();
      }
    }
  });
  child.on('error', (error) => {
    child.kill();
    children.delete(child);
    ended(host, error.message);
  });
  // Its channel closed: when it ended, its exit follows at once and names how; when a package
  // closed the channel's descriptor under it, nothing of it would ever come.
  child.on('disconnect', () => {
    if (hosts.get(key) === host) hosts.delete(key);
    if (!children.has(child)) return; // exited already, or ended on an error
    clearTimeout(host.idle);
    // A definition call can never be answered now, and its caller blocks Waymark's main thread.
    host.closed = setTimeout(() => {
      for (const id of host.ids) wake(threads.get(id), UNHEARD);
    }, HOST_CLOSED_WAKE_MS);
    host.closed.unref();
    host.unheard = setTimeout(() => unheard(host), HOST_UNHEARD_MS);
    host.unheard.unref();
  });
  child.on('exit', (code, signal) => {
    children.delete(child);
    ended(host, code === HOST_UNHEARD_CODE ? UNHEARD : signal ? 'signal ' + signal : 'code ' + code);
  });
  return host;
}

parentPort.on('message', (message) => {
  const { op, id } = message;
  if (op === 'start') {
    const host = hostOf(message.key, message.roots);
    host.ids.add(id);
    const calls = message.calls || null;
    threads.set(id, { host, calls });
    if (calls) calls.port.on('message', (question) => tell(host, { op: 'define', id, message: question }));
    tell(host, { op: 'start', id, workerData: { ...message.workerData, reach }, calls: calls !== null });
  } else if (op === 'end') {
    const host = hosts.get(message.key);
    if (host) host.child.kill();
  } else if (op === 'close') {
    for (const child of children) child.kill();
    parentPort.close();
  } else {
    const thread = threads.get(id);
    if (thread) tell(thread.host, { op, id, ...(op === 'post' ? { message: message.message } : {}) });
  }
});
})(require);
`;
