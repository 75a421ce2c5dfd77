import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { draft, e, hook, n, postTest } from '../test-runs/support.js';

/**
 * What rendering templates keeps in memory. The attacker is a journey author (an editor): each
 * test run renders the draft's templates, and parsed templates are kept for the next render.
 * A template of many outputs parses to objects some hundred times its size, so what is kept
 * must be bounded by that cost, not by a count of templates alone: test runs of large,
 * different templates must not pile up in the process's memory.
 */

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapUsed = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://mail.waymark.test' });
});
afterAll(() => t?.close());

describe('test runs of large templates, each different', () => {
  test('leave the process’s memory as it was, give or take', async () => {
    const RUNS = 12;
    const ids: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      // 22 kB of outputs: 4 500 of them, each a parsed object kept while cached. Few enough that
      // one renders well within TEMPLATE_LIMITS.renderLimit on a loaded machine.
      const html = `<p>${i}</p>${'{{a}}'.repeat(4_500)}`;
      ids.push(
        await draft(t, {
          nodes: [
            hook(),
            n('m', 'email.send', { from: 'News <news@example.com>', subject: 'Hi', html, category: 'transactional' }),
          ],
          edges: [e('hook', 'm')],
        }),
      );
    }
    const before = heapUsed();
    for (const id of ids) {
      const res = await postTest(t, id, { contact: { email: 'preview@example.com' } });
      expect(res.statusCode).toBe(200);
      expect(res.json().steps[1], JSON.stringify(res.json().steps[1]?.error)).toMatchObject({
        nodeId: 'm',
        status: 'completed',
      });
    }
    const grown = heapUsed() - before;
    // Kept by their count alone, with no cap on one template's cost, these twelve held 90 MiB.
    expect(grown / 1024 / 1024).toBeLessThan(40);
  }, 120_000);
});
