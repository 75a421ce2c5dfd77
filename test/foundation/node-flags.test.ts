import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { NODE_FLAGS } from '../../server/node-flags.js';

const root = new URL('../../', import.meta.url);
const scripts = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> })
  .scripts;
const entrypoint = readFileSync(new URL('Dockerfile', root), 'utf8')
  .split('\n')
  .find((line) => line.startsWith('ENTRYPOINT'));

describe('the V8 flags every Waymark process runs with', () => {
  test.each(['start', 'start:server', 'start:worker', 'bench'])('npm run %s gives them', (name) => {
    for (const flag of NODE_FLAGS) expect(scripts[name]).toContain(` ${flag} `);
  });

  test("the Docker image's entrypoint gives them", () => {
    for (const flag of NODE_FLAGS) expect(entrypoint).toContain(`"${flag}"`);
  });

  test('a process started with them has the larger young generation', async () => {
    const newSpace = async (flags: readonly string[]) => {
      const { stdout } = await promisify(execFile)(process.execPath, [
        ...flags,
        '-e',
        // Allocation grows the young generation up to its maximum.
        `let k = []; for (let i = 0; i < 4e6; i++) { k.push({ i }); if (k.length > 3e5) k = []; }
         const s = require('v8').getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
         console.log(s.space_size)`,
      ]);
      return Number(stdout);
    };
    expect(await newSpace(NODE_FLAGS)).toBeGreaterThan(2 * (await newSpace([])));
  });
});
