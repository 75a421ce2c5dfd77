// svelte-check for the editor, skipped while the editor has no tsconfig yet.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('editor/tsconfig.json')) process.exit(0);
execFileSync(
  process.execPath,
  ['node_modules/svelte-check/dist/src/index.js', '--workspace', 'editor', '--threshold', 'error'],
  { stdio: 'inherit' },
);
