import { afterAll, beforeAll } from 'vitest';
import { waymarkSettings } from './environment.js';

// The test files share their process (vitest.config.ts `isolate: false`): a file that sets one
// of Waymark's settings in process.env and leaves it decides what later files' processes see
// (a worker started by startup.test inherited a secret key so). Each file gives them back as
// it found them, or fails naming what it left.
let found = '';
beforeAll(() => {
  found = JSON.stringify(waymarkSettings());
});
afterAll(() => {
  const left = JSON.stringify(waymarkSettings());
  if (left !== found) throw new Error(`this test file changed Waymark's settings in process.env: ${found} → ${left}`);
});
