// Builds the editor into editor/dist (served by the server). With --if-missing it only
// builds when there is no build yet, so `npm start` stays quick after the first time.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const config = 'editor/vite.config.ts';
if (!existsSync(config)) process.exit(0); // no editor yet
if (process.argv.includes('--if-missing') && existsSync('editor/dist/index.html')) process.exit(0);
execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', config, '--logLevel', 'warn'], {
  stdio: 'inherit',
});
