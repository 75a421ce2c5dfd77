import {
  type AnyNodeDefinition,
  type CredentialDefinition,
  type ErrorDetail,
  type PackageDefinition,
  parseDuration,
} from '@waymark/sdk';
import { compileParams, invalidSchemaPlace } from '../graph/params-schema.js';
import { defaultProblems } from './param-defaults.js';

/** The part of a type before its first dot: `acme` in `acme.shout`. */
export const prefixOf = (type: string) => type.split('.')[0] ?? type;

/** A package's prefix: its first node type's, or its first credential type's. */
export const packagePrefix = (pkg: PackageDefinition) =>
  prefixOf(String(pkg.nodes[0]?.type ?? pkg.credentials?.[0]?.type));

/** A problem of a definition: `at` is its place in the node or credential type (`/kind`, `/params/properties/n`). */
interface Problem {
  at: string;
  message: string;
}

const at = (place: string, message: string): Problem => ({ at: place, message });

/** What is wrong with a node of a package: not a `defineNode(...)` value of the SDK's shape, at the field. */
export function nodeProblem(node: AnyNodeDefinition): Problem | null {
  if (!node || typeof node !== 'object') return at('', 'a node is not a defineNode(...) value');
  const name = typeof node.type === 'string' ? node.type : '(no type)';
  if (!Number.isInteger(node.version) || node.version < 1)
    return at('/version', `${name}: version must be a whole number from 1`);
  if (!['trigger', 'action', 'condition', 'wait'].includes(node.kind))
    return at('/kind', `${name}: kind must be trigger, action, condition or wait`);
  // GET /api/nodes lists these of every node: one missing answered 500 for the whole catalogue.
  for (const field of ['title', 'description', 'category'] as const)
    if (typeof node[field] !== 'string' || (field === 'title' && !node.title))
      return at(`/${field}`, `${name}: ${field} must be a string`);
  if (typeof node.run !== 'function') return at('/run', `${name}: run is not a function`);
  if (!node.params || typeof node.params !== 'object')
    return at('/params', `${name}: params must be a JSON Schema object`);
  // Compiled with the very ajv that later checks params, so a schema that loads also validates.
  try {
    compileParams(node.params);
  } catch (error) {
    return at(
      `/params${invalidSchemaPlace(node.params)}`,
      `${name}@${node.version}: params is not a valid JSON Schema: ${(error as Error).message}`,
    );
  }
  if (typeof node.outputs !== 'function' && !Array.isArray(node.outputs))
    return at('/outputs', `${name}: outputs must be a list or a function`);
  if (node.validate !== undefined && typeof node.validate !== 'function')
    return at('/validate', `${name}: validate must be a function when given`);
  return (
    outputsProblem(node, name) ??
    limitsProblem(node, name) ??
    triggerPartsProblem(node, name) ??
    triggerOutputProblem(node, name)
  );
}

/**
 * A listed output is named once and is a name, and an action node does not list `error`, which
 * the engine adds to every action node (failures.md): a second `out` was one handle drawn
 * twice, and a declared `error` was taken both by the node's `next` and by its failures.
 */
function outputsProblem(node: AnyNodeDefinition, name: string): Problem | null {
  if (!Array.isArray(node.outputs)) return null;
  const outputs: unknown[] = node.outputs;
  for (const [i, output] of outputs.entries()) {
    if (typeof output !== 'string' || !output) return at(`/outputs/${i}`, `${name}: an output must be a name`);
    if (outputs.indexOf(output) !== i) return at(`/outputs/${i}`, `${name}: the output "${output}" is listed twice`);
    if (output === 'error' && node.kind === 'action')
      return at(
        `/outputs/${i}`,
        `${name}: an action node does not list "error": the engine adds that output to every action node`,
      );
  }
  return null;
}

/**
 * What is wrong with a credential type's own fields (its `type` is checked with the package's
 * types): `GET /api/credential-types` lists every type's `title` and `schema`, and `POST
 * /api/credentials` validates data against the schema, so a type without them, or with a
 * schema that does not compile, answered 500 there for every type.
 */
function credentialProblem(credential: CredentialDefinition): Problem | null {
  if (!credential || typeof credential !== 'object') return null;
  const name = typeof credential.type === 'string' ? credential.type : '(no type)';
  if (typeof credential.title !== 'string' || !credential.title)
    return at('/title', `${name}: title must be a non-empty string`);
  const { schema } = credential;
  if (!schema || typeof schema !== 'object' || Array.isArray(schema))
    return at('/schema', `${name}: schema must be a JSON Schema object`);
  try {
    compileParams(schema);
  } catch (error) {
    return at(
      `/schema${invalidSchemaPlace(schema)}`,
      `${name}: schema is not a valid JSON Schema: ${(error as Error).message}`,
    );
  }
  return null;
}

/**
 * A node's attempt time limit is a timer's delay (with the queue and load limits added), and a
 * delay past what a timer holds (2^31 - 1 ms) fires at once: such a `timeoutMs` timed every
 * attempt out in 1 ms. `maxAttempts` counts attempts, so it is a whole number from 1.
 */
const MAX_NODE_TIMEOUT_MS = 2_147_000_000;

function limitsProblem(node: AnyNodeDefinition, name: string): Problem | null {
  const { timeoutMs, maxAttempts } = node;
  if (
    timeoutMs !== undefined &&
    !(Number.isInteger(timeoutMs) && (timeoutMs as number) >= 1 && (timeoutMs as number) <= MAX_NODE_TIMEOUT_MS)
  )
    return at(
      '/timeoutMs',
      `${name}: timeoutMs must be a whole number of milliseconds from 1 to ${MAX_NODE_TIMEOUT_MS} when given`,
    );
  if (maxAttempts !== undefined && !(Number.isInteger(maxAttempts) && (maxAttempts as number) >= 1))
    return at('/maxAttempts', `${name}: maxAttempts must be a whole number from 1 when given`);
  return null;
}

/**
 * What is wrong with a node's `webhook` or `poll` (SDK README "Triggers"): only a trigger
 * has them; `webhook` has `handle`, `poll` has `run` and an `every` that is a function or an
 * ISO 8601 duration. A trigger with neither is allowed: its runs start as the engine starts
 * its own triggers' (`core.event`…) or from test runs.
 */
function triggerPartsProblem(node: AnyNodeDefinition, name: string): Problem | null {
  const { webhook, poll } = node;
  if ((webhook !== undefined || poll !== undefined) && node.kind !== 'trigger')
    return at(
      webhook !== undefined ? '/webhook' : '/poll',
      `${name}: only a trigger (kind: 'trigger') may have webhook or poll`,
    );
  if (webhook !== undefined && (typeof webhook !== 'object' || typeof webhook?.handle !== 'function'))
    return at('/webhook', `${name}: webhook must be { handle(request, ctx) }`);
  if (poll === undefined) return null;
  if (typeof poll !== 'object' || typeof poll?.run !== 'function')
    return at('/poll', `${name}: poll must be { run(ctx), every? }`);
  const { every } = poll;
  if (
    every !== undefined &&
    typeof every !== 'function' &&
    !(typeof every === 'string' && parseDuration(every) !== null)
  )
    return at(
      '/poll/every',
      `${name}: poll.every must be an ISO 8601 duration (PT5M) or a function of the params returning one`,
    );
  return null;
}

/**
 * A trigger's `triggerOutput` names one of its outputs, when they are a list: its runs leave
 * the trigger by it, so one naming none reached no node, and every run of it ended at once.
 */
function triggerOutputProblem(node: AnyNodeDefinition, name: string): Problem | null {
  const { triggerOutput, outputs } = node;
  if (triggerOutput === undefined || !Array.isArray(outputs) || outputs.includes(triggerOutput)) return null;
  return at(
    '/triggerOutput',
    `${name}: triggerOutput ${JSON.stringify(triggerOutput)} is none of its outputs (${outputs.join(', ') || 'none'})`,
  );
}

/**
 * What is wrong with an installed credential type's `sender` or `events` (SDK.md): a sender
 * has a channel (`email`, `sms`) and `send`; events have `verify` and `parse`, and its
 * provider is the package's prefix, so that `/hooks/providers/<provider>` of a built-in
 * provider or of another package never reaches its code.
 */
export function providerPartsProblem(credential: CredentialDefinition, prefix: string): string | null {
  const name = String(credential.type);
  const { sender, events } = credential as { sender?: unknown; events?: unknown };
  const has = (part: unknown, fn: string) => typeof (part as Record<string, unknown>)[fn] === 'function';
  if (sender !== undefined) {
    if (!sender || typeof sender !== 'object') return `${name}: sender must be an object`;
    const channel = (sender as { channel?: unknown }).channel;
    if (channel !== 'email' && channel !== 'sms') return `${name}: sender.channel must be "email" or "sms"`;
    if (!has(sender, 'send')) return `${name}: sender.send must be a function`;
  }
  if (events !== undefined) {
    if (!events || typeof events !== 'object') return `${name}: events must be an object`;
    const provider = (events as { provider?: unknown }).provider;
    if (provider !== prefix) return `${name}: events.provider must be the package's prefix "${prefix}"`;
    for (const fn of ['verify', 'parse']) if (!has(events, fn)) return `${name}: events.${fn} must be a function`;
  }
  return null;
}

/**
 * The credential types an installed package's nodes list but the package does not define, one
 * detail each at its place in the definition (`/nodes/0/credentials/1`): a node reads through
 * `ctx.credentials` the types it lists, and may read only its own package's (SDK.md "nodes never
 * see other credentials"; packages.md: `ctx.credentials` only for its declared types), never
 * another package's or a built-in one's (`email.smtp`).
 */
export function foreignCredentialProblems(pkg: PackageDefinition): ErrorDetail[] {
  const own = new Set((pkg.credentials ?? []).map((c) => c?.type));
  return pkg.nodes.flatMap((node, n) => {
    const listed: unknown = node.credentials;
    const name = `${node.type}@${node.version}`;
    if (listed === undefined) return [];
    if (!Array.isArray(listed) || !listed.every((t) => typeof t === 'string'))
      return [{ path: `/nodes/${n}/credentials`, message: `${name}: credentials must be a list of credential types` }];
    return listed.flatMap((type: string, i) =>
      own.has(type)
        ? []
        : [
            {
              path: `/nodes/${n}/credentials/${i}`,
              message: `${name} lists the credential type "${type}", which its package does not define: a node may read only its own package's credential types`,
            },
          ],
    );
  });
}

/**
 * What is wrong with a package on its own, every problem at once (packages.md: one detail
 * per problem): its shape, each node, each type's name and prefix (the first type's), each
 * node type@version defined twice.
 */
export function packageShapeProblems(pkg: PackageDefinition): ErrorDetail[] {
  if (typeof pkg.name !== 'string' || typeof pkg.version !== 'string' || !Array.isArray(pkg.nodes)) {
    return [{ path: '', message: 'the default export is not a definePackage({ name, version, nodes }) value' }];
  }
  if (pkg.nodes.length === 0 && !pkg.credentials?.length)
    return [{ path: '', message: 'the package defines no node or credential types' }];
  const types = [
    // A node that is no object is named once, by nodeProblem.
    ...pkg.nodes.flatMap((n, i) =>
      n && typeof n === 'object' ? [{ type: n.type as unknown, path: `/nodes/${i}/type` }] : [],
    ),
    ...(pkg.credentials ?? []).map((c, i) => ({ type: c?.type as unknown, path: `/credentials/${i}/type` })),
  ];
  const problems: ErrorDetail[] = [];
  pkg.nodes.forEach((node, i) => {
    const problem = nodeProblem(node);
    if (problem) problems.push({ path: `/nodes/${i}${problem.at}`, message: problem.message });
    else problems.push(...defaultProblems(node, `/nodes/${i}`));
  });
  const prefix = prefixOf(String(types[0]?.type));
  for (const { type, path } of types) {
    if (typeof type !== 'string' || !/^[a-z][a-z0-9-]*\.[a-z0-9][a-z0-9.-]*$/.test(type))
      problems.push({ path, message: `"${String(type)}" is not a type name of the form "<prefix>.<name>"` });
    else if (prefixOf(type) !== prefix)
      problems.push({ path, message: `"${type}" is outside the package's prefix "${prefix}."` });
  }
  (pkg.credentials ?? []).forEach((credential, i) => {
    const problem = credentialProblem(credential);
    if (problem) problems.push({ path: `/credentials/${i}${problem.at}`, message: problem.message });
  });
  const seen = new Set<string>();
  pkg.nodes.forEach((node, i) => {
    const name = `${node?.type}@${node?.version}`;
    if (seen.has(name)) problems.push({ path: `/nodes/${i}`, message: `${name} is defined twice` });
    seen.add(name);
  });
  (pkg.credentials ?? []).forEach((credential, i) => {
    const type = `credential type ${String(credential?.type)}`;
    if (seen.has(type)) problems.push({ path: `/credentials/${i}`, message: `the ${type} is defined twice` });
    seen.add(type);
  });
  return problems;
}
