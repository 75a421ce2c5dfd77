import { MessageChannel, type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import { WaymarkError } from '@waymark/sdk';
import type { PackageThread } from './package-hosts.js';
import { type PackageFiles, startThread } from './thread-run.js';

/**
 * How long the main thread waits for one answer. The engine calls these functions
 * synchronously (graph validation, a step's outputs), so the wait blocks this thread: it
 * must be short, yet cover a thread that starts and imports the package anew.
 */
export const DEFINITION_LIMIT_MS = 2_000;
/** How long a definitions thread with nothing to answer is kept (about 16 MiB each). */
const IDLE_MS = 5 * 60_000;

/** The definition functions of a node that the engine calls besides `run`. */
export type DefinitionFunction = 'outputs' | 'validate' | 'readsContact' | 'readsSteps';

/** 500: a package's definition function that did not answer in time, or answered what it may not. */
export class DefinitionCallError extends WaymarkError {
  constructor(
    message: string,
    /** It did not answer within `DEFINITION_LIMIT_MS` (its thread was ended), or its process ended first. */
    readonly unanswered = false,
  ) {
    super('internal_error', message);
    this.name = 'DefinitionCallError';
  }
}

interface Channel {
  worker: PackageThread;
  port: MessagePort;
  flag: Int32Array;
}

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: { message: string };
}

/** The relay's word that the thread's process is gone (relay-source.ts): no answer will come. */
interface Ended {
  ended: string;
}

/**
 * The thread of one installed package version that answers its definition functions, so that
 * its code runs in no thread of Waymark's (contract packages.md "Isolation and reach"). A call
 * is synchronous, as the SDK's functions are: the question goes through a port and this
 * thread sleeps on a shared flag (`Atomics.wait`) until the thread has posted its answer, at
 * most `DEFINITION_LIMIT_MS`. A thread that does not answer in time (an endless loop) is
 * terminated and the call throws, naming the node and the package; the next call starts a
 * new one. The thread never holds the process open and ends after `IDLE_MS` unused.
 *
 * @example
 * const calls = new DefinitionThread(files, '@acme/waymark-nodes@1.0.0');
 * const described = await describedBy(calls.start());
 * calls.call('validate', { type: 'acme.split', version: 1 }, params);
 */
export class DefinitionThread {
  #channel: Channel | null = null;
  #idle: NodeJS.Timeout | null = null;
  #ids = 0;

  constructor(
    private readonly files: PackageFiles,
    /** `<name>@<version>`, as errors name the package. */
    private readonly label: string,
  ) {}

  /** Starts a thread that imports the package and describes it, ready to answer calls. */
  start(): PackageThread {
    this.stop();
    const { port1, port2 } = new MessageChannel();
    const flag = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    const worker = startThread(this.files, { probe: true, calls: { port: port2, flag } });
    const channel = { worker, port: port1, flag };
    worker.once('exit', () => {
      if (this.#channel === channel) this.#channel = null;
    });
    this.#channel = channel;
    return worker;
  }

  /** Lets the thread wait for calls without holding the process open, until `IDLE_MS` pass. */
  rest(): void {
    if (this.#idle) clearTimeout(this.#idle);
    this.#channel?.worker.unref();
    this.#idle = setTimeout(() => this.stop(), IDLE_MS);
    this.#idle.unref();
  }

  /** Ends the thread, if any. */
  stop(): void {
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = null;
    const channel = this.#channel;
    this.#channel = null;
    if (!channel) return;
    channel.port.close();
    void channel.worker.terminate();
  }

  /** The package's own `fn` of a node for `params`, computed in its thread. */
  call(fn: DefinitionFunction, node: { type: string; version: number }, params: unknown): unknown {
    const what = `${fn} of ${node.type}@${node.version} (${this.label})`;
    // A process that ended while idle: its thread's 'exit' may not have been heard yet.
    if (this.#channel && this.#endedOf(this.#channel)) this.stop();
    if (!this.#channel) this.start();
    const channel = this.#channel as Channel;
    const id = ++this.#ids;
    Atomics.store(channel.flag, 0, 0);
    try {
      channel.port.postMessage({ id, fn, type: node.type, version: node.version, params });
    } catch (error) {
      throw new DefinitionCallError(`${what} cannot be given its params: ${(error as Error).message}`);
    }
    const waited = Atomics.wait(channel.flag, 0, 0, DEFINITION_LIMIT_MS);
    const reply = waited === 'timed-out' ? undefined : this.#replyTo(channel, id);
    if (!reply || 'ended' in reply) {
      this.stop();
      throw new DefinitionCallError(
        reply
          ? `${what} was not answered: ${reply.ended}`
          : `${what} did not answer within ${DEFINITION_LIMIT_MS} ms: it must be synchronous and free of I/O`,
        true,
      );
    }
    this.rest();
    if (!reply.ok) throw new DefinitionCallError(reply.error?.message ?? `${what} failed`);
    return reply.value;
  }

  /** The answer to call `id`, or word that none will come; answers to calls that gave up before are passed over. */
  #replyTo(channel: Channel, id: number): Reply | Ended | undefined {
    for (;;) {
      const received = receiveMessageOnPort(channel.port);
      if (!received) return undefined;
      const reply = received.message as Reply | Ended;
      if ('ended' in reply || reply.id === id) return reply;
    }
  }

  /** Whether the relay said the channel's process is gone (the port holds nothing else between calls). */
  #endedOf(channel: Channel): boolean {
    return this.#replyTo(channel, 0) !== undefined;
  }
}
