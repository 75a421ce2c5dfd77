import v8 from 'node:v8';
import vm from 'node:vm';

// The bench runs without --expose-gc; a full collection before each reading keeps garbage out
// of "what parked runs cost", which RSS alone (never given back promptly) cannot tell.
v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;

/** The process's memory after a full garbage collection. */
export function settledMemory(): NodeJS.MemoryUsage {
  collect();
  collect();
  return process.memoryUsage();
}
