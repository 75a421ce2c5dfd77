/**
 * The old generation of a package thread's V8 heap, where what its code keeps lives. Without
 * a limit V8 sizes it from the machine's memory (4,345 MB on a 24 GB machine, measured), for
 * each of a version's `MAX_THREADS` threads, which an endless `push` could fill, growing its
 * package's process past what the machine has. A step handles one contact, one response, one
 * template: tens of MB at most; 256 MB leaves room for a package's caches, and a version's
 * threads together stay within 16 heaps of about 320 MB (what V8 reports for these limits).
 */
export const THREAD_OLD_GENERATION_MB = 256;

/**
 * The young generation (new objects): V8's own largest default on 64 bits (16 MiB
 * semi-spaces, 3 × 16), so allocation-heavy code collects no more often than before.
 */
export const THREAD_YOUNG_GENERATION_MB = 48;

/** The thread's stack: Node's default for a worker, named so that no one reads it as missing. */
export const THREAD_STACK_MB = 4;

/**
 * A package thread's `resourceLimits` (host-source.ts). Not `--max-old-space-size` in
 * `HOST_FLAGS`: a V8 flag is the whole process's and overrides every thread's limit
 * (measured: with 128 each thread's heap limit became 184 MB, whatever `resourceLimits` said),
 * and the process's own thread runs none of the package's code.
 */
export const THREAD_RESOURCE_LIMITS = {
  maxOldGenerationSizeMb: THREAD_OLD_GENERATION_MB,
  maxYoungGenerationSizeMb: THREAD_YOUNG_GENERATION_MB,
  stackSizeMb: THREAD_STACK_MB,
} as const;

/** The `code` of the error a `Worker` that reached its heap limit fails with, before it exits. */
const OUT_OF_MEMORY_CODE = 'ERR_WORKER_OUT_OF_MEMORY';

/**
 * What a package thread's crash (its `error` event) says to the step or the install: an
 * exhausted heap names the limit, as Node's own "Worker terminated due to reaching memory
 * limit" does not; any other crash keeps the error's message.
 *
 * @example
 * crashOf(error); // "the package's thread ran out of memory (its limit is 256 MB)"
 */
export function crashOf(error: Error): string {
  if ((error as NodeJS.ErrnoException).code === OUT_OF_MEMORY_CODE)
    return `the package's thread ran out of memory (its limit is ${THREAD_OLD_GENERATION_MB} MB)`;
  return `the package's thread crashed: ${error.message}`;
}
