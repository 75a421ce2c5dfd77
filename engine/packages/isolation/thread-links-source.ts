/**
 * JavaScript of `lockLinks()`, part of the package thread's program (thread-source.ts), run
 * before the package is imported. A package's process may write nothing (package-hosts.ts), but
 * Node's permission model refuses a symbolic link without saying where (`resource` empty,
 * "fs.symlink API requires full fs.read and fs.write permissions"), so the refusal read
 * `cannot read : …`. `fs.symlink`, `fs.symlinkSync` and `fs.promises.symlink` refuse it as
 * that model refuses a write, with the link's path, so the attempt says `cannot write <path>:
 * …` (`step.forbidden`). The permission model still guards every other route.
 */
export const LOCK_LINKS_SOURCE = `
function lockLinks() {
  const fs = require('node:fs');
  const { fileURLToPath } = require('node:url');
  const refusal = (path) => {
    const error = new Error('Access to this API has been restricted');
    error.code = 'ERR_ACCESS_DENIED';
    error.permission = 'FileSystemWrite';
    error.resource = path instanceof URL ? fileURLToPath(path) : String(path);
    return error;
  };
  fs.symlinkSync = (target, path) => {
    throw refusal(path);
  };
  fs.symlink = (target, path, ...rest) => {
    const done = rest.pop();
    if (typeof done === 'function') process.nextTick(done, refusal(path));
  };
  fs.promises.symlink = async (target, path) => {
    throw refusal(path);
  };
  // An ES module's import { symlinkSync } from 'node:fs' sees the CommonJS exports as they are now.
  require('node:module').syncBuiltinESMExports();
}
`;
