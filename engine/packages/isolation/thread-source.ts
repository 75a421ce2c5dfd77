import { DESCRIBE_SOURCE } from './thread-describe-source.js';
import { LOCK_LINKS_SOURCE } from './thread-links-source.js';
import { LOCK_LISTENING_SOURCE } from './thread-listen-source.js';
import { FORBIDDEN_CODE, LOCK_MODULES_SOURCE, UNRESOLVED_MARK } from './thread-lock-source.js';
import { LOCK_REACH_SOURCE } from './thread-reach-source.js';

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
 * `handshake` instead of a node's `run`, served and timed the same way (`callCredential`); one
 * that names a `trigger`, a node's `webhook.handle` or `poll.run` / `poll.every` (`callTrigger`).
 *
 * Before anything is imported, the thread locks what it may connect to (`lockReach`,
 * thread-reach-source.ts), that it may not listen (`lockListening`, thread-listen-source.ts)
 * and what its modules may load (`lockModules`,
 * thread-lock-source.ts); a module it may not load fails with `FORBIDDEN_CODE`, which an
 * attempt answers as the step error `step.forbidden`. Only an error of the SDK's own classes
 * (`NodeError`, `RetryableError`, any `WaymarkError`) keeps its code and finality: any other
 * thrown error is `node.exception`, retried, whatever `code` it has (Node's `ECONNRESET`). The program runs inside a function, with
 * the eval'd script's `require` and `module` globals deleted and its port and data taken before
 * the lock: a script's top-level names are the realm's, so the package's modules would
 * otherwise see them.
 */
export const THREAD_SOURCE = `
(function (require) {
// An eval'd script's top-level names and Node's globals for it (require, module…) are the whole
// realm's, the package's modules' too: the program keeps to this function's scope and takes
// what it needs of worker_threads (its port, its data) before lockModules refuses the module.
for (const name of ['require', 'module', 'exports', '__filename', '__dirname']) delete globalThis[name];
const { parentPort, workerData } = require('node:worker_threads');
const { entryUrl, sdkUrl, folderUrl, reach, probe, calls } = workerData;
const FORBIDDEN_CODE = ${JSON.stringify(FORBIDDEN_CODE)};
const UNRESOLVED_MARK = ${JSON.stringify(UNRESOLVED_MARK)};
// The SDK's CommonJS build, a module of its own beside the ES module: a package that requires the
// SDK throws its classes. Its real path, as Node keys its module cache.
const sdkCommonJs = (() => {
  try {
    return require('node:fs').realpathSync(require('node:url').fileURLToPath(new URL('./index.cjs', sdkUrl)));
  } catch {
    return null;
  }
})();
const moduleCache = require('node:module')._cache;

${LOCK_MODULES_SOURCE}
${LOCK_REACH_SOURCE}
${LOCK_LISTENING_SOURCE}
${LOCK_LINKS_SOURCE}
lockLinks();
lockListening();
lockReach(reach);
lockModules();
const pending = new Map();
let sequence = 0;
let sdk = null;
// The attempt being served: its id and abort controller.
let current = null;

// A file the package's process may not read or write (Node's permission model says only
// "Access to this API has been restricted"), said as the lock says its refusals.
const accessDenied = (e) =>
  'cannot ' + (e.permission === 'FileSystemWrite' ? 'write ' : 'read ') + e.resource +
  ': a package may read only its own files and write none (packages.md "Isolation and reach")';

// Whether an error is of the SDK's classes, as the package imported or required it. A plain
// Error with a \`code\` (Node's ECONNRESET, a dependency's) is not: it is retried as node.exception.
function ownError(e) {
  const commonJs = sdkCommonJs && moduleCache[sdkCommonJs];
  const classes = [sdk && sdk.WaymarkError, commonJs && commonJs.exports && commonJs.exports.WaymarkError];
  return classes.some((c) => typeof c === 'function' && e instanceof c);
}

function serialize(error) {
  const e = error && typeof error === 'object' ? error : { message: String(error) };
  // A module the package may not load, a file it may not touch: a final step error, not a service's refusal.
  const denied = e.code === 'ERR_ACCESS_DENIED' && typeof e.resource === 'string';
  const forbidden = e.code === FORBIDDEN_CODE || e[UNRESOLVED_MARK] === true || denied;
  const own = !forbidden && ownError(e);
  return {
    name: typeof e.name === 'string' ? e.name : 'Error',
    message: denied ? accessDenied(e) : typeof e.message === 'string' && e.message ? e.message : String(error),
    code: own && typeof e.code === 'string' ? e.code : undefined,
    stepCode: forbidden ? 'step.forbidden' : own && typeof e.stepCode === 'string' ? e.stepCode : undefined,
    retryable: own && e.retryable === true,
    retryAfterMs: own && typeof e.retryAfterMs === 'number' ? e.retryAfterMs : undefined,
    status: own && typeof e.status === 'number' ? e.status : undefined,
    output: own && e.output && typeof e.output === 'object' ? JSON.parse(JSON.stringify(e.output)) : undefined,
    details: own && Array.isArray(e.details) ? JSON.parse(JSON.stringify(e.details)) : undefined,
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

// A trigger's webhook.handle, poll.run or poll.every (\`trigger\` names the node type): its ctx is
// the params and clock of \`ctxData\`, the credentials service and, for a poll, Waymark's HTTP client.
async function callTrigger({ attempt, trigger, version, fn, args, ctxData }) {
  const pkg = await loaded;
  const node = pkg && pkg.nodes.find((n) => n && n.type === trigger && n.version === version);
  const part = node && (fn === 'handle' ? node.webhook : node.poll);
  const target = part && part[fn];
  if (typeof target !== 'function') throw new Error(trigger + '@' + version + ' has no ' + (fn === 'handle' ? 'webhook' : 'poll') + '.' + fn + ' any more');
  const startedAt = Date.now();
  const own = services(attempt);
  const ctx = {
    params: ctxData.params,
    ...(fn === 'run' ? { state: ctxData.state, http: own.http } : {}),
    credentials: own.credentials,
    now: () => new Date(ctxData.now + (Date.now() - startedAt)),
    log: { debug: log(attempt, 'debug'), info: log(attempt, 'info'), warn: log(attempt, 'warn'), error: log(attempt, 'error') },
  };
  parentPort.postMessage({ kind: 'started', attempt });
  return fn === 'every' ? target(ctxData.params) : target(...args, ctx);
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
    (message.trigger ? callTrigger(message) : message.credential ? callCredential(message) : run(message)).then(
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

${DESCRIBE_SOURCE}

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
