/** The `code` of the error an import or require the package may not make fails with. */
const FORBIDDEN_CODE = 'ERR_WAYMARK_FORBIDDEN_MODULE';

/** JavaScript of the refusal's message, for a `specifier` in scope. */
const FORBIDDEN_MESSAGE =
  `'cannot import "' + specifier + '": a package may import only its own files and dependencies, ' +` +
  ` '@waymark/sdk and Node\\'s built-ins (packages.md "Isolation and reach")'`;

/**
 * The built-ins a package may not load, by name without `node:` (and their subpaths,
 * `inspector/promises`): each starts what the lock does not reach, a process (`child_process`,
 * `cluster`), a thread (`worker_threads`, whose `Worker` runs any code unlocked), or an
 * inspector session (`inspector`, whose `require` and `connectToMainThread` reach everything).
 */
const REFUSED_BUILTINS = ['child_process', 'worker_threads', 'cluster', 'inspector'];

/** Why a refused built-in or `process` function fails (after `cannot import "…"` / `cannot use …`). */
const ESCAPE_RULE =
  'a package may not start processes or threads, open an inspector session, load native addons or reach ' +
  `Node's internal bindings (packages.md "Isolation and reach")`;

/** JavaScript of the refusal's message for a refused built-in, for a `specifier` in scope. */
const REFUSED_MESSAGE = `'cannot import "' + specifier + '": ' + ${JSON.stringify(ESCAPE_RULE)}`;

/** JavaScript of whether a `specifier` in scope names a refused built-in, `node:` or not. */
const IS_REFUSED = `((name) => ${JSON.stringify(REFUSED_BUILTINS)}.some((b) => name === b || name.startsWith(b + '/')))(specifier.startsWith('node:') ? specifier.slice(5) : specifier)`;

/**
 * The ES module resolve hook of a package's thread (registered by `lockModules` below, run in
 * that thread's own hooks thread): a specifier resolves as Node resolves it, then is refused
 * unless it is a built-in or a file under one of `roots`. Plain JavaScript, loaded as a
 * `data:` URL.
 */
const MODULE_HOOKS = `
import { fileURLToPath } from 'node:url';
let roots = [];
const refused = (specifier) => ${IS_REFUSED};
export async function initialize(data) {
  roots = data.roots;
}
export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
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
 * The program of a worker thread that runs the attempts of an installed package's nodes, one
 * at a time (contract packages.md "Isolation and reach"). Plain JavaScript kept as text and
 * started with `eval`, so the thread needs no TypeScript loader and holds nothing of Waymark
 * but what `workerData` gives it: the package's entry and the SDK it was installed against.
 * It imports the package once and then serves each `attempt` message with the step's data,
 * saying with its answer whether the attempt left work running (then the thread serves no other);
 * every service call is a message, tagged with its attempt, to that step's own `ctx` in the
 * main thread. With `probe`, it imports the package and answers with a plain-data description
 * of it (`describe`): the main thread never imports an installed package. With `calls` (a port
 * and a shared flag), it also serves the package's definition functions (`outputs`,
 * `validate`, `readsContact`, `readsSteps`), each answer posted before the flag is raised, so
 * that the main thread can wait for it synchronously (definition-calls.ts). An `attempt` that
 * names a `credential` calls that type's `sender.send` or `events.verify` / `parse` /
 * `handshake` instead of a node's `run`, served and timed the same way (`callCredential`).
 *
 * Before anything is imported, the thread locks what its modules may load (`lockModules`):
 * files in the package's own folder (`folderUrl`: the package and the dependencies installed
 * beside it), the SDK's folder and Node's built-ins. An ES module `import` (static, dynamic, of
 * a CommonJS file too) is checked by `MODULE_HOOKS`, registered for this thread only with
 * `module.register`; a CommonJS `require` (also from `createRequire`, `require.resolve`) by a
 * guard around `Module._resolveFilename`. Anything else fails with `FORBIDDEN_CODE`, which an
 * attempt answers as the step error `step.forbidden`. Each check runs once per module
 * resolved, never per attempt. What would undo the lock is refused the same way: the
 * `REFUSED_BUILTINS` (by both routes, `Module._load`, which a `node:` require takes without
 * resolving, and `process.getBuiltinModule`) and `process.dlopen`, `binding` and
 * `_linkedBinding`. The program runs inside a function, with the eval'd script's `require` and
 * `module` globals deleted and its port and data taken before the lock: a script's top-level
 * names are the realm's, so the package's modules would otherwise see them.
 */
export const THREAD_SOURCE = `
(function (require) {
// An eval'd script's top-level names and Node's globals for it (require, module…) are the whole
// realm's, the package's modules' too: the program keeps to this function's scope and takes
// what it needs of worker_threads (its port, its data) before lockModules refuses the module.
for (const name of ['require', 'module', 'exports', '__filename', '__dirname']) delete globalThis[name];
const { parentPort, workerData } = require('node:worker_threads');
const { entryUrl, sdkUrl, folderUrl, probe, calls } = workerData;
const FORBIDDEN_CODE = ${JSON.stringify(FORBIDDEN_CODE)};

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
  const forbidden = (message) => {
    const error = new Error(message);
    error.code = FORBIDDEN_CODE;
    return error;
  };
  const refused = (specifier) => typeof specifier === 'string' && ${IS_REFUSED};
  const resolveFilename = Module._resolveFilename;
  const guarded = function (specifier, ...rest) {
    if (refused(specifier)) throw forbidden(${REFUSED_MESSAGE});
    const filename = resolveFilename.call(this, specifier, ...rest);
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
  const fix = (target, name, value) => Object.defineProperty(target, name, { value, writable: false, configurable: false });
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
lockModules();
const pending = new Map();
let sequence = 0;
let sdk = null;
// The attempt being served: its id and abort controller.
let current = null;

function serialize(error) {
  const e = error && typeof error === 'object' ? error : { message: String(error) };
  // A module the package may not load: a final step error, not a service's refusal.
  const forbidden = e.code === FORBIDDEN_CODE;
  return {
    name: typeof e.name === 'string' ? e.name : 'Error',
    message: typeof e.message === 'string' && e.message ? e.message : String(error),
    code: typeof e.code === 'string' && !forbidden ? e.code : undefined,
    stepCode: forbidden ? 'step.forbidden' : typeof e.stepCode === 'string' ? e.stepCode : undefined,
    retryable: e.retryable === true,
    retryAfterMs: typeof e.retryAfterMs === 'number' ? e.retryAfterMs : undefined,
    output: e.output && typeof e.output === 'object' ? JSON.parse(JSON.stringify(e.output)) : undefined,
    details: Array.isArray(e.details) ? JSON.parse(JSON.stringify(e.details)) : undefined,
  };
}

function revive(e) {
  if (e.stepCode && e.retryable)
    return new sdk.RetryableError(e.message, { code: e.stepCode, output: e.output, retryAfterMs: e.retryAfterMs });
  if (e.stepCode) return new sdk.NodeError(e.message, { code: e.stepCode, output: e.output });
  if (e.code) return new sdk.WaymarkError(e.code, e.message, e.details || []);
  return new Error(e.message);
}

const loaded = (async () => {
  sdk = await import(sdkUrl);
  const mod = await import(entryUrl);
  return mod.default && Array.isArray(mod.default.nodes) ? mod.default : mod.default && mod.default.default;
})();

// A call names its attempt: one an earlier attempt left running (a timer) reaches no other step's ctx.
const call = (attempt, service, method) => (...args) =>
  new Promise((resolve, reject) => {
    const id = ++sequence;
    pending.set(id, { resolve, reject });
    parentPort.postMessage({ kind: 'call', attempt, id, service, method, args });
  });

const services = (attempt) => {
  const proxy = (name) =>
    new Proxy({}, { get: (_t, m) => (typeof m === 'string' && m !== 'then' ? call(attempt, name, m) : undefined) });
  return {
    contacts: proxy('contacts'),
    messages: proxy('messages'),
    leads: proxy('leads'),
    http: { request: call(attempt, 'http', 'request') },
    credentials: { get: call(attempt, 'credentials', 'get') },
  };
};

const log = (attempt, level) => (obj, msg) =>
  parentPort.postMessage({ kind: 'log', attempt, level, obj: typeof obj === 'string' ? obj : JSON.parse(JSON.stringify(obj ?? {})), msg });

// A credential type's sender or events function (\`credential\` names the type, \`part\` and \`fn\`
// the function): its args as sent, a request's rawBody a Buffer again, and last the ctx of
// \`ctxData\` with Waymark's HTTP client (none for parse, which takes no ctx).
async function callCredential({ attempt, credential, part, fn, args, ctxData }) {
  const pkg = await loaded;
  const found = pkg && Array.isArray(pkg.credentials) ? pkg.credentials.find((c) => c && c.type === credential) : null;
  const target = found && found[part];
  if (!target || typeof target[fn] !== 'function') throw new Error(credential + ' has no ' + part + '.' + fn + ' any more');
  const request = args[0];
  if (part === 'events' && request && request.rawBody instanceof Uint8Array)
    args[0] = { ...request, rawBody: Buffer.from(request.rawBody.buffer, request.rawBody.byteOffset, request.rawBody.byteLength) };
  const all = ctxData ? [...args, { ...ctxData, http: services(attempt).http }] : args;
  parentPort.postMessage({ kind: 'started', attempt });
  return target[fn](...all);
}

async function run({ attempt, type, version, data }) {
  const pkg = await loaded;
  const node = pkg && pkg.nodes.find((n) => n.type === type && n.version === version);
  if (!node) throw new Error(type + '@' + version + ' is not defined by the package any more');
  const startedAt = Date.now();
  const ctx = {
    ...data.ctx,
    ...services(attempt),
    signal: current.controller.signal,
    now: () => new Date(data.now + (Date.now() - startedAt)),
    log: { debug: log(attempt, 'debug'), info: log(attempt, 'info'), warn: log(attempt, 'warn'), error: log(attempt, 'error') },
  };
  // The attempt's time limit counts from here, past the thread's start-up and the import.
  parentPort.postMessage({ kind: 'started', attempt });
  return node.run(ctx);
}

// What the thread itself holds open once the package has loaded (its ports, stdout's pipe).
const counts = () => {
  const found = {};
  for (const r of process.getActiveResourcesInfo()) found[r] = (found[r] || 0) + 1;
  return found;
};
const baseline = loaded.then(counts, () => ({}));

// Whether the attempt left nothing running beyond that (a timer, a socket): only then may the
// thread serve another, whose step that work could otherwise crash.
const quiet = async () => {
  const held = await baseline;
  return Object.entries(counts()).every(([r, n]) => n <= (held[r] || 0));
};

async function answer(attempt, outcome) {
  const reusable = await quiet();
  try {
    parentPort.postMessage({ kind: 'result', attempt, reusable, ...outcome });
  } catch (error) {
    parentPort.postMessage({ kind: 'result', attempt, reusable, ok: false, error: { message: 'the node returned a value that is not data: ' + error.message, stepCode: 'node.invalid-result' } });
  }
}

parentPort.on('message', (message) => {
  if (message.kind === 'abort') {
    if (current && current.attempt === message.attempt) current.controller.abort(new Error(message.reason));
    return;
  }
  if (message.kind === 'attempt') {
    current = { attempt: message.attempt, controller: new AbortController() };
    (message.credential ? callCredential(message) : run(message)).then(
      (value) => answer(message.attempt, { ok: true, value }),
      (error) => answer(message.attempt, { ok: false, error: serialize(error) }),
    );
    return;
  }
  const waiting = pending.get(message.id);
  if (!waiting) return;
  pending.delete(message.id);
  if (message.ok) waiting.resolve(message.value);
  else waiting.reject(revive(message.error));
});

// Plain data only: JSON drops what structured cloning could carry of the package's own objects.
const plain = (value) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

// The fields the engine reads of a node; those whose value is a function are only named.
const NODE_FIELDS = ['type', 'version', 'kind', 'title', 'description', 'category', 'icon', 'summary', 'params',
  'credentials', 'inline', 'triggerOutput', 'endsRun', 'sendsMessages', 'skippedInTestRuns', 'concurrency',
  'timeoutMs', 'maxAttempts', 'outputs', 'validate', 'readsContact', 'readsSteps', 'run'];

function describeNode(node) {
  if (!node || typeof node !== 'object') return null;
  const fields = {};
  const functions = [];
  for (const field of NODE_FIELDS) {
    const value = node[field];
    if (typeof value === 'function') functions.push(field);
    else if (value !== undefined) fields[field] = value;
  }
  return { fields: plain(fields), functions };
}

// The functions of a credential type's parts that its threads run.
const PARTS = { sender: ['send'], events: ['verify', 'parse', 'handshake'] };

function describeCredential(credential) {
  if (!credential || typeof credential !== 'object') return null;
  const { type, title, description, schema, sender, events } = credential;
  const part = (value, name) => {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object') return { invalid: true, functions: [] };
    const functions = PARTS[name].filter((fn) => typeof value[fn] === 'function');
    return { ...plain(name === 'sender' ? { channel: value.channel } : { provider: value.provider }), functions };
  };
  return { ...plain({ type, title, description, schema }), sender: part(sender, 'sender'), events: part(events, 'events') };
}

function describe(pkg) {
  if (!pkg || typeof pkg !== 'object') return null;
  return {
    name: plain(pkg.name),
    version: plain(pkg.version),
    nodes: Array.isArray(pkg.nodes) ? pkg.nodes.map(describeNode) : null,
    credentials: Array.isArray(pkg.credentials) ? pkg.credentials.map(describeCredential) : undefined,
  };
}

// One definition function's answer; validate and the rest are synchronous (SDK.md), so one
// that returns a promise answers something that is not what was asked for.
function define(pkg, { type, version, fn, params }) {
  try {
    const node = pkg && pkg.nodes.find((n) => n && n.type === type && n.version === version);
    const f = node && node[fn];
    if (typeof f !== 'function') throw new Error(type + '@' + version + ' has no function ' + fn);
    const value = f(params);
    return { ok: true, value: value === undefined ? null : plain(value) };
  } catch (error) {
    return { ok: false, error: serialize(error) };
  }
}

if (calls)
  calls.port.on('message', (message) => {
    loaded.then(
      (pkg) => define(pkg, message),
      (error) => ({ ok: false, error: serialize(error) }),
    ).then((outcome) => {
      calls.port.postMessage({ id: message.id, ...outcome });
      Atomics.store(calls.flag, 0, 1);
      Atomics.notify(calls.flag, 0);
    });
  });

if (probe)
  loaded.then(
    (pkg) => {
      try {
        parentPort.postMessage({ kind: 'result', attempt: 0, ok: true, value: describe(pkg) });
      } catch (error) {
        parentPort.postMessage({ kind: 'result', attempt: 0, ok: false, error: serialize(error) });
      }
    },
    (error) => parentPort.postMessage({ kind: 'result', attempt: 0, ok: false, error: serialize(error) }),
  );
})(require);
`;
