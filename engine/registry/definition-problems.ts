import type { AnyNodeDefinition, CredentialDefinition, ErrorDetail, PackageDefinition } from '@waymark/sdk';
import { compileParams } from '../graph/params-schema.js';

/** What is wrong with a node of a package: not a `defineNode(...)` value of the SDK's shape. */
export function nodeProblem(node: AnyNodeDefinition): string | null {
  if (!node || typeof node !== 'object') return 'a node is not a defineNode(...) value';
  const name = typeof node.type === 'string' ? node.type : '(no type)';
  if (!Number.isInteger(node.version) || node.version < 1) return `${name}: version must be a whole number from 1`;
  if (!['trigger', 'action', 'condition', 'wait'].includes(node.kind))
    return `${name}: kind must be trigger, action, condition or wait`;
  if (typeof node.run !== 'function') return `${name}: run is not a function`;
  if (!node.params || typeof node.params !== 'object') return `${name}: params must be a JSON Schema object`;
  // Compiled with the very ajv that later checks params, so a schema that loads also validates.
  try {
    compileParams(node.params);
  } catch (error) {
    return `${name}@${node.version}: params is not a valid JSON Schema: ${(error as Error).message}`;
  }
  if (typeof node.outputs !== 'function' && !Array.isArray(node.outputs))
    return `${name}: outputs must be a list or a function`;
  if (node.validate !== undefined && typeof node.validate !== 'function')
    return `${name}: validate must be a function when given`;
  return null;
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
