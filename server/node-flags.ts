/**
 * The V8 flags every Waymark process runs with. A young generation of 64 MB a half-space, not
 * Node 20's 16: a step batch's tokens live until its one write, so with twenty batches in
 * flight the scavenger copied (and promoted) most of what it found, a quarter of the worker's
 * time in the 5-node journey; at 64 MB most of it dies young (README "Performance", session 20).
 * The size of the heap is fixed when the process starts, so the flags are given on its command
 * line: package.json's scripts, the Dockerfile's entrypoint and the processes the tests start
 * repeat them (test/foundation/node-flags.test.ts keeps them the same).
 *
 * @example
 * spawn(process.execPath, [...NODE_FLAGS, '--import', 'tsx', 'server/main.ts', 'worker']);
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
