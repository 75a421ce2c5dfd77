import type { AnyNodeDefinition, PackageDefinition } from '@waymark/sdk';
import type { Materialized } from './files.js';
import { QUEUE_LIMIT_MS } from './thread-pool.js';
import { LOAD_LIMIT_MS, PackageThreads, probeInThread } from './thread-run.js';

/** Beyond the thread's own limits, so that the thread's `step.timeout` is the one the step gets. */
const GRACE_MS = 1_000;

/**
 * Imports a laid-out package and returns its default export, or throws with why it is not a
 * `definePackage(...)` value (a throw on import keeps its message). It is imported in a
 * thread first: code that hangs or exits there never reaches this thread. CommonJS compiled
 * from `export default` is unwrapped.
 */
export async function importPackage(files: Materialized): Promise<PackageDefinition> {
  await probeInThread({ entryUrl: files.entryUrl, sdkUrl: files.sdkUrl });
  const mod = (await import(files.entryUrl)) as { default?: unknown };
  const first = mod.default as { nodes?: unknown; default?: unknown } | undefined;
  const value = first && !Array.isArray(first.nodes) && first.default ? first.default : first;
  const pkg = value as Partial<PackageDefinition> | undefined;
  if (!pkg || typeof pkg !== 'object' || !Array.isArray(pkg.nodes) || typeof pkg.name !== 'string')
    throw new Error('the default export is not a definePackage({ name, version, nodes }) value');
  return pkg as PackageDefinition;
}

/**
 * The package as the engine uses it: each node's `run` goes to one of the package version's
 * worker threads (`PackageThreads`, one attempt at a time each) under the node's time limit
 * (`timeoutMs`, else `defaultTimeoutMs`, counted from when `run` starts there); the rest of the
 * definition (params, outputs, validate) is read in this thread.
 */
export function threaded(pkg: PackageDefinition, files: Materialized, defaultTimeoutMs: number): PackageDefinition {
  const threads = new PackageThreads({ entryUrl: files.entryUrl, sdkUrl: files.sdkUrl });
  const nodes = pkg.nodes.map((node): AnyNodeDefinition => {
    const limitMs = typeof node.timeoutMs === 'number' && node.timeoutMs > 0 ? node.timeoutMs : defaultTimeoutMs;
    const target = { type: node.type, version: node.version, limitMs };
    return {
      ...node,
      // An attempt may wait for a thread (up to QUEUE_LIMIT_MS) and a new thread loads the
      // package (up to LOAD_LIMIT_MS) before its `run`'s limit starts.
      timeoutMs: QUEUE_LIMIT_MS + LOAD_LIMIT_MS + limitMs + GRACE_MS,
      run: (ctx) => threads.run(target, ctx as never) as never,
    } as AnyNodeDefinition;
  });
  return { ...pkg, nodes };
}
