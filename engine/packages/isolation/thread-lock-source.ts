/** The `code` of the error an import or require the package may not make fails with. */
export const FORBIDDEN_CODE = 'ERR_WAYMARK_FORBIDDEN_MODULE';

/**
 * The property, `true`, of the error of a bare name that resolves to nothing (Waymark's own
 * `pg`): refused as the lock refuses, but keeping Node's not-found `code`, on which a
 * dependency's fallback for an optional module of its own may depend.
 */
export const UNRESOLVED_MARK = 'waymarkUnresolved';

/** JavaScript of the refusal's message, for a `specifier` in scope. */
const FORBIDDEN_MESSAGE =
  `'cannot import "' + specifier + '": a package may import only its own files and dependencies, ' +` +
  ` '@waymark/sdk and Node\\'s built-ins (packages.md "Isolation and reach")'`;

/**
 * The built-ins a package may not load, by name without `node:` (and their subpaths,
 * `inspector/promises`), with why: each starts what the lock does not reach, a process
 * (`child_process`, `cluster`), a thread (`worker_threads`, whose `Worker` runs any code
 * unlocked) or an inspector session (`inspector`, whose `require` and `connectToMainThread`
 * reach everything), or sends where the address rule of `lockReach` cannot see (`dgram`).
 */
const ESCAPE_RULE =
  'a package may not start processes or threads, open an inspector session, load native addons or reach ' +
  `Node's internal bindings (packages.md "Isolation and reach")`;
const REFUSED_BUILTINS: Record<string, string> = {
  child_process: ESCAPE_RULE,
  worker_threads: ESCAPE_RULE,
  cluster: ESCAPE_RULE,
  inspector: ESCAPE_RULE,
  dgram: `a package may not send UDP: its connections follow ctx.http's address rule (packages.md "Isolation and reach")`,
};

/** JavaScript of the refusal's message for a refused built-in, for a `specifier` in scope. */
const REFUSED_MESSAGE = `'cannot import "' + specifier + '": ' + REFUSED_WHY[builtinName(specifier)]`;

/** JavaScript of whether a `specifier` in scope names a refused built-in, `node:` or not. */
const IS_REFUSED = 'Object.hasOwn(REFUSED_WHY, builtinName(specifier))';

/** JavaScript of `REFUSED_WHY`, `builtinName` and `unresolved`, which the checks below use. */
const REFUSED_HELPERS = `
const REFUSED_WHY = Object.assign(Object.create(null), ${JSON.stringify(REFUSED_BUILTINS)});
const builtinName = (specifier) => (specifier.startsWith('node:') ? specifier.slice(5) : specifier).split('/')[0];
// A package name (not a path, a URL or a '#' import) that Node did not find: none of the
// package's dependencies, so the lock's refusal, not Node's "Cannot find package".
const unresolved = (specifier, error) => {
  const bare = typeof specifier === 'string' && /^[^./#]/.test(specifier) && !/^[a-z][a-z0-9+.-]*:/i.test(specifier);
  if (!bare || (error?.code !== 'ERR_MODULE_NOT_FOUND' && error?.code !== 'MODULE_NOT_FOUND')) return error;
  const refusal = new Error(${FORBIDDEN_MESSAGE});
  refusal.code = error.code;
  refusal[${JSON.stringify(UNRESOLVED_MARK)}] = true;
  return refusal;
};
`;

/**
 * The ES module resolve hook of a package's thread (registered by `lockModules` below, run in
 * that thread's own hooks thread): a specifier resolves as Node resolves it, then is refused
 * unless it is a built-in or a file under one of `roots`. Plain JavaScript, loaded as a
 * `data:` URL.
 */
const MODULE_HOOKS = `
import { fileURLToPath } from 'node:url';
${REFUSED_HELPERS}
let roots = [];
const refused = (specifier) => ${IS_REFUSED};
export async function initialize(data) {
  roots = data.roots;
}
export async function resolve(specifier, context, nextResolve) {
  let resolved;
  try {
    resolved = await nextResolve(specifier, context);
  } catch (error) {
    throw unresolved(specifier, error);
  }
  if (resolved.url.startsWith('node:')) {
    if (!refused(resolved.url)) return resolved;
    const error = new Error(${REFUSED_MESSAGE});
    error.code = ${JSON.stringify(FORBIDDEN_CODE)};
    throw error;
  }
  if (resolved.url.startsWith('file:')) {
    const file = fileURLToPath(resolved.url);
    if (roots.some((root) => file.startsWith(root))) return resolved;
  }
  const error = new Error(${FORBIDDEN_MESSAGE});
  error.code = ${JSON.stringify(FORBIDDEN_CODE)};
  throw error;
}
`;

/**
 * JavaScript of `lockModules()`, part of the package thread's program (thread-source.ts): it
 * locks what the package's modules may load before anything is imported — files in the
 * package's own folder (`folderUrl`: the package and the dependencies installed beside it), the
 * SDK's folder and Node's built-ins. An ES module `import` (static, dynamic, of a CommonJS file
 * too) is checked by `MODULE_HOOKS`, registered for the thread only with `module.register`; a
 * CommonJS `require` (also from `createRequire`, `require.resolve`) by a guard around
 * `Module._resolveFilename`. Anything else fails with `FORBIDDEN_CODE`, and so, in words, does a
 * package name Node does not find (with `UNRESOLVED_MARK`, its not-found code kept). Each check runs once per
 * module resolved, never per attempt. What would undo the lock is refused the same way: the
 * `REFUSED_BUILTINS` (by both routes, `Module._load`, which a `node:` require takes without
 * resolving, and `process.getBuiltinModule`) and `process.dlopen`, `binding` and
 * `_linkedBinding`. It expects `require`, `folderUrl`, `sdkUrl` and `FORBIDDEN_CODE` in scope.
 */
export const LOCK_MODULES_SOURCE = `${REFUSED_HELPERS}
const forbidden = (message) => {
  const error = new Error(message);
  error.code = FORBIDDEN_CODE;
  return error;
};
// What the package's code may not undo: a property neither writable nor configurable.
const fix = (target, name, value) => Object.defineProperty(target, name, { value, writable: false, configurable: false });

// Locks what the package's modules may load: Node's built-ins and files under its own folder or
// the SDK's, each folder as given and by its real path (Node resolves a module to its real path).
function lockModules() {
  const Module = require('node:module');
  const { realpathSync } = require('node:fs');
  const { sep } = require('node:path');
  const { fileURLToPath } = require('node:url');
  const roots = new Set();
  for (const url of [folderUrl, new URL('./', sdkUrl).href]) {
    const dir = fileURLToPath(url);
    let real = dir;
    try {
      real = realpathSync(dir);
    } catch {}
    for (const d of [dir, real]) roots.add(d.endsWith(sep) ? d : d + sep);
  }
  const allowed = [...roots];
  Module.register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(MODULE_HOOKS)}), { data: { roots: allowed } });
  const refused = (specifier) => typeof specifier === 'string' && ${IS_REFUSED};
  const resolveFilename = Module._resolveFilename;
  const guarded = function (specifier, ...rest) {
    if (refused(specifier)) throw forbidden(${REFUSED_MESSAGE});
    let filename;
    try {
      filename = resolveFilename.call(this, specifier, ...rest);
    } catch (error) {
      throw unresolved(specifier, error);
    }
    if (Module.isBuiltin(filename) ? !refused(filename) : allowed.some((root) => filename.startsWith(root))) return filename;
    throw forbidden(${FORBIDDEN_MESSAGE});
  };
  // require('node:…') loads a built-in without resolving it: Module._load checks the name first.
  const load = Module._load;
  const guardedLoad = function (specifier, ...rest) {
    if (refused(specifier)) throw forbidden(${REFUSED_MESSAGE});
    return load.call(this, specifier, ...rest);
  };
  // Neither may the package's code undo the guards nor register hooks that would answer first.
  fix(Module, '_resolveFilename', guarded);
  fix(Module, '_load', guardedLoad);
  const getBuiltinModule = process.getBuiltinModule;
  if (typeof getBuiltinModule === 'function')
    fix(process, 'getBuiltinModule', function (specifier) {
      if (refused(specifier)) throw forbidden(${REFUSED_MESSAGE});
      return getBuiltinModule.call(process, specifier);
    });
  // Native addons (a .node file, of its dependencies too: require calls process.dlopen) and
  // Node's internal bindings run outside any lock.
  for (const name of ['dlopen', 'binding', '_linkedBinding'])
    fix(process, name, () => {
      throw forbidden('cannot use process.' + name + ': ' + ${JSON.stringify(ESCAPE_RULE)});
    });
  const noHooks = () => {
    throw forbidden('a package may not register module hooks (packages.md "Isolation and reach")');
  };
  for (const name of ['register', 'registerHooks']) fix(Module, name, noHooks);
}
`;
