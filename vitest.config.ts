import { defineConfig } from 'vitest/config';

// Node 20 lacks Map.groupBy, which vitest 5's reporter uses when it prints failures.
const mapWithGroupBy = Map as unknown as { groupBy?: unknown };
mapWithGroupBy.groupBy ??= <K, V>(items: Iterable<V>, key: (item: V, index: number) => K): Map<K, V[]> => {
  const groups = new Map<K, V[]>();
  let i = 0;
  for (const item of items) {
    const k = key(item, i++);
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return groups;
};

export default defineConfig({
  test: {
    include: [
      'test/**/*.test.ts',
      'engine/**/*.test.ts',
      'nodes/*/src/**/*.test.ts',
      'nodes/*/test/**/*.test.ts',
      'server/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/support/environment-guard.ts'],
    pool: 'forks',
    maxWorkers: 3,
    // Each fork runs file after file on one module graph. Isolated, every file evaluated the
    // engine's graph again (fastify, pg, graphile-worker, OTel, the nodes): two thirds of a
    // file's CPU in test/api, and the suite took 35 minutes on 2 cores instead of 13. A file
    // keeps no state in modules (no module-level mutable state, STYLE), makes its own
    // database and closes what it opens.
    isolate: false,
    testTimeout: 30_000,
    // What a test waits for comes within 10 s on a loaded 2-core CI machine, not always within
    // expect.poll's default second (browser tests above all); a poll that passes returns at once.
    expect: { poll: { timeout: 10_000 } },
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
  },
});
