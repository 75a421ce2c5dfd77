/**
 * JavaScript of the package thread's description of its package (`describe`: a plain-data
 * picture of its nodes and credential types, the functions only named, a trigger's `webhook`
 * and `poll` as `{ functions, every? }`) and of the answers of
 * its definition functions (`define`), part of the thread's program (thread-source.ts). It
 * expects `serialize` in scope.
 */
export const DESCRIBE_SOURCE = `
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
  // A trigger's webhook and poll: which of their functions it has (and poll's every when a text).
  for (const [part, fns] of Object.entries(TRIGGER_PARTS)) {
    const value = node[part];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'object') fields[part] = { invalid: true, functions: [] };
    else
      fields[part] = {
        ...(typeof value.every === 'string' ? { every: value.every } : {}),
        functions: fns.filter((fn) => typeof value[fn] === 'function'),
      };
  }
  return { fields: plain(fields), functions };
}

// The functions of a trigger's parts that its threads run.
const TRIGGER_PARTS = { webhook: ['handle'], poll: ['run', 'every'] };

// The functions of a credential type's parts that its threads run.
const PARTS = { sender: ['send'], events: ['verify', 'parse', 'handshake', 'answer'] };

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
`;
