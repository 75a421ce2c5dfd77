/**
 * The program of the worker thread that runs one attempt of an installed package's node
 * (contract packages.md "Isolation and reach"). Plain JavaScript kept as text and started with
 * `eval`, so the thread needs no TypeScript loader and holds nothing of Waymark but what
 * `workerData` gives it: the package's entry, the SDK it was installed against, and the
 * step's data. Every service call is a message to the step's own `ctx` in the main thread.
 * With `probe`, it only imports the package (a first load, before the main thread does).
 */
export const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { entryUrl, sdkUrl, type, version, data } = workerData;
const pending = new Map();
let sequence = 0;
let sdk = null;
const controller = new AbortController();

function serialize(error) {
  const e = error && typeof error === 'object' ? error : { message: String(error) };
  return {
    name: typeof e.name === 'string' ? e.name : 'Error',
    message: typeof e.message === 'string' && e.message ? e.message : String(error),
    code: typeof e.code === 'string' ? e.code : undefined,
    stepCode: typeof e.stepCode === 'string' ? e.stepCode : undefined,
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

parentPort.on('message', (message) => {
  if (message.kind === 'abort') return controller.abort(new Error(message.reason));
  const waiting = pending.get(message.id);
  if (!waiting) return;
  pending.delete(message.id);
  if (message.ok) waiting.resolve(message.value);
  else waiting.reject(revive(message.error));
});

const call = (service, method) => (...args) =>
  new Promise((resolve, reject) => {
    const id = ++sequence;
    pending.set(id, { resolve, reject });
    parentPort.postMessage({ kind: 'call', id, service, method, args });
  });

const service = (name, methods) => Object.fromEntries(methods.map((m) => [m, call(name, m)]));
const log = (level) => (obj, msg) => parentPort.postMessage({ kind: 'log', level, obj: typeof obj === 'string' ? obj : JSON.parse(JSON.stringify(obj ?? {})), msg });

async function main() {
  sdk = await import(sdkUrl);
  const mod = await import(entryUrl);
  const pkg = mod.default && Array.isArray(mod.default.nodes) ? mod.default : mod.default && mod.default.default;
  if (workerData.probe) return { name: pkg && pkg.name, version: pkg && pkg.version };
  const node = pkg && pkg.nodes.find((n) => n.type === type && n.version === version);
  if (!node) throw new Error(type + '@' + version + ' is not defined by the package any more');
  const startedAt = Date.now();
  const ctx = {
    ...data.ctx,
    signal: controller.signal,
    now: () => new Date(data.now + (Date.now() - startedAt)),
    log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    contacts: new Proxy({}, { get: (_t, m) => (typeof m === 'string' && m !== 'then' ? call('contacts', m) : undefined) }),
    messages: new Proxy({}, { get: (_t, m) => (typeof m === 'string' && m !== 'then' ? call('messages', m) : undefined) }),
    leads: new Proxy({}, { get: (_t, m) => (typeof m === 'string' && m !== 'then' ? call('leads', m) : undefined) }),
    http: service('http', ['request']),
    credentials: service('credentials', ['get']),
  };
  // The attempt's time limit counts from here, past the thread's start-up and the import.
  parentPort.postMessage({ kind: 'started' });
  return node.run(ctx);
}

main().then(
  (value) => {
    try {
      parentPort.postMessage({ kind: 'result', ok: true, value });
    } catch (error) {
      parentPort.postMessage({ kind: 'result', ok: false, error: { message: 'the node returned a value that is not data: ' + error.message, stepCode: 'node.invalid-result' } });
    }
  },
  (error) => parentPort.postMessage({ kind: 'result', ok: false, error: serialize(error) }),
);
`;
