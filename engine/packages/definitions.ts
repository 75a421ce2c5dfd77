import type { AnyNodeDefinition, PackageDefinition } from '@waymark/sdk';
import { DefinitionThread } from './definition-calls.js';
import { callsDefinitions, definitionOf, type PackageDescription } from './description.js';
import type { Materialized } from './files.js';
import { QUEUE_LIMIT_MS } from './thread-pool.js';
import { describedBy, LOAD_LIMIT_MS, PackageThreads } from './thread-run.js';

/** Beyond the thread's own limits, so that the thread's `step.timeout` is the one the step gets. */
const GRACE_MS = 1_000;

/**
 * A laid-out package as the main thread knows it, without ever importing it (contract
 * packages.md "Isolation and reach": its top-level code and every function of its
 * definition run in threads). A thread imports it and describes it in plain data; the
 * description becomes the definition, each node's `outputs`, `validate`, `readsContact` and
 * `readsSteps` functions calls into the package version's definitions thread, and `run`
 * stands for the function that `threaded` sends to its step threads. Throws with why it is
 * not a `definePackage(...)` value (a throw on import keeps its message). CommonJS compiled
 * from `export default` is unwrapped.
 */
export async function importPackage(files: Materialized): Promise<PackageDefinition> {
  const label = `${files.manifest.name}@${files.manifest.version}`;
  const calls = new DefinitionThread(files, label);
  const worker = calls.start();
  const described = (await describedBy(worker).catch((error: unknown) => {
    calls.stop();
    throw error;
  })) as PackageDescription | null;
  let pkg: PackageDefinition;
  try {
    pkg = definitionOf(described, calls);
  } catch (error) {
    calls.stop();
    throw error;
  }
  // A package without definition functions never calls its definitions thread.
  if (callsDefinitions(described)) calls.rest();
  else calls.stop();
  return pkg;
}

/**
 * The package as the engine uses it: each node's `run` goes to one of the package version's
 * worker threads (`PackageThreads`, one attempt at a time each) under the node's time limit
 * (`timeoutMs`, else `defaultTimeoutMs`, counted from when `run` starts there); the rest of the
 * definition is as `importPackage` made it.
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
