import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { type MessagePort, Worker } from 'node:worker_threads';
import { HOST_FLAGS, HOST_SOURCE } from './host-source.js';
import { RELAY_SOURCE } from './relay-source.js';

/**
 * A thread that runs an installed package's code, as the rest of Waymark uses it: the part of
 * a `Worker`'s API the pools and calls need. Its events: `message`, `error` (an Error, with
 * the `code` Node gave it), `exit` (a code), the last one always.
 */
export interface PackageThread {
  postMessage(message: unknown): void;
  terminate(): Promise<number>;
  ref(): void;
  unref(): void;
  on(event: 'message', listener: (message: never) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  off(event: 'message', listener: (message: never) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'exit', listener: (code: number) => void): unknown;
  once(event: 'exit', listener: (code: number) => void): unknown;
}

/** A thread's events, as `PackageThread` lists them. */
interface ThreadEvents {
  message: [never];
  error: [Error];
  exit: [number];
}

/** What a package's connections may reach besides public addresses (thread-reach-source.ts). */
export interface PackageReach {
  /** `WAYMARK_HTTP_ALLOW_PRIVATE`: private addresses too, as for `ctx.http`. */
  allowPrivate: boolean;
  /** Waymark's database, which no package may connect to, whatever `allowPrivate` says. */
  databaseUrl: string | null;
}

/** How a definitions thread answers synchronously: the main thread's partner port and the flag raised once the answer is posted. */
export interface CallChannel {
  port: MessagePort;
  flag: Int32Array;
}

/** Where a thread runs: its package version's process (`key`) and what that process may read. */
export interface HostPlace {
  key: string;
  roots: readonly string[];
}

type RelayMessage =
  | { op: 'message'; id: number; message: never }
  | { op: 'error'; id: number; message: string; code?: string }
  | { op: 'exit'; id: number; code: number };

const IPADDR_PATH = createRequire(import.meta.url).resolve('ipaddr.js');

/** The database's host and port, as a package's connections are refused to it. */
function databaseOf(url: string | null): { host: string; port: number } | null {
  if (!url) return null;
  const parsed = new URL(url);
  const host = decodeURIComponent(parsed.hostname).replace(/^\[(.*)\]$/, '$1') || 'localhost';
  return { host, port: Number(parsed.port) || 5432 };
}

/** A thread's error as its process reported it, with Node's `code` (running out of memory: thread-limits.ts). */
function threadError(message: string, code: string | undefined): Error {
  const error: NodeJS.ErrnoException = new Error(message);
  if (code !== undefined) error.code = code;
  return error;
}

class RemoteThread extends EventEmitter<ThreadEvents> implements PackageThread {
  #held = true;
  #exited = false;

  constructor(
    private readonly hosts: PackageHosts,
    readonly id: number,
  ) {
    super();
    this.once('exit', () => {
      this.#exited = true;
      if (this.#held) hosts.hold(-1);
    });
  }

  postMessage(message: unknown): void {
    if (!this.#exited) this.hosts.send({ op: 'post', id: this.id, message });
  }

  terminate(): Promise<number> {
    if (this.#exited) return Promise.resolve(1);
    const exited = new Promise<number>((resolve) => this.once('exit', resolve));
    this.hosts.send({ op: 'terminate', id: this.id });
    return exited;
  }

  ref(): void {
    if (this.#held || this.#exited) return;
    this.#held = true;
    this.hosts.hold(1);
  }

  unref(): void {
    if (!this.#held || this.#exited) return;
    this.#held = false;
    this.hosts.hold(-1);
  }
}

/**
 * Where installed packages' code runs (contract packages.md "Isolation and reach"): each
 * package version in a process of its own, which reads only its own files, writes none,
 * holds no environment and no connection of Waymark's, and whose threads connect only where
 * `ctx.http` may (never to the database). A relay thread (relay-source.ts) starts those
 * processes and passes messages; a `PackageThread` stands for one thread of one of them. The
 * relay holds this process open only while a thread is held (`ref`), as a `Worker` would.
 *
 * @example
 * const hosts = new PackageHosts({ allowPrivate: false, databaseUrl });
 * const thread = hosts.start({ key: versionId, roots: [folder, sdkFolder] }, workerData);
 * thread.on('message', onMessage);
 */
export class PackageHosts {
  #relay: Worker | null = null;
  readonly #threads = new Map<number, RemoteThread>();
  #held = 0;
  #ids = 0;

  constructor(private readonly reach: PackageReach) {}

  /** A new thread in `place`'s process running the package thread's program with `workerData`. */
  start(place: HostPlace, workerData: object, calls?: CallChannel): PackageThread {
    const id = ++this.#ids;
    const thread = new RemoteThread(this, id);
    this.#threads.set(id, thread);
    // A thread that fails while no attempt listens must not become an unhandled 'error'.
    thread.on('error', () => {});
    this.hold(1);
    this.send(
      { op: 'start', id, key: place.key, roots: [...place.roots, IPADDR_PATH], workerData, calls },
      calls ? [calls.port] : [],
    );
    return thread;
  }

  /** Ends the process of `key` (a removed version) and with it every thread it runs. */
  end(key: string): void {
    this.#relay?.postMessage({ op: 'end', key });
  }

  /** Ends every package process and the relay. */
  async close(): Promise<void> {
    const relay = this.#relay;
    this.#relay = null;
    if (!relay) return;
    relay.postMessage({ op: 'close' });
    await relay.terminate();
  }

  /** @internal A message to the relay, which is started when there is none. */
  send(message: object, transferList: MessagePort[] = []): void {
    this.#relayed().postMessage(message, transferList);
  }

  /** @internal A thread held (`1`) or let go (`-1`): the relay holds the process open while any is. */
  hold(change: number): void {
    this.#held += change;
    if (this.#held > 0) this.#relay?.ref();
    else this.#relay?.unref();
  }

  #relayed(): Worker {
    if (this.#relay) return this.#relay;
    const relay = new Worker(RELAY_SOURCE, {
      eval: true,
      workerData: {
        execPath: process.execPath,
        hostSource: HOST_SOURCE,
        hostFlags: HOST_FLAGS,
        database: databaseOf(this.reach.databaseUrl),
        allowPrivate: this.reach.allowPrivate,
        ipaddrPath: IPADDR_PATH,
      },
    });
    relay.on('message', (message: RelayMessage) => {
      const thread = this.#threads.get(message.id);
      if (!thread) return;
      if (message.op === 'message') thread.emit('message', message.message);
      else if (message.op === 'error') thread.emit('error', threadError(message.message, message.code));
      else {
        this.#threads.delete(message.id);
        thread.emit('exit', message.code);
      }
    });
    // The relay is Waymark's own code: if it fails anyway, every thread it served has ended.
    const lost = (why: string) => {
      if (this.#relay === relay) this.#relay = null;
      for (const [id, thread] of this.#threads) {
        this.#threads.delete(id);
        thread.emit('error', new Error(`the packages' relay ended: ${why}`));
        thread.emit('exit', 1);
      }
    };
    relay.on('error', (error) => lost(error.message));
    relay.on('exit', (code) => lost(`code ${code}`));
    this.#relay = relay;
    if (this.#held <= 0) relay.unref();
    return relay;
  }
}
