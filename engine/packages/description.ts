import type { AnyNodeDefinition, CredentialDefinition, ErrorDetail, PackageDefinition } from '@waymark/sdk';
import { DefinitionCallError, type DefinitionFunction, type DefinitionThread } from './definition-calls.js';

/** A node as its package's thread describes it: its plain fields, and which fields are functions. */
export interface NodeDescription {
  fields: Record<string, unknown>;
  functions: string[];
}

/** A credential type as described; `code` when it has a `sender` or `events`. */
export interface CredentialDescription {
  type?: unknown;
  title?: unknown;
  description?: unknown;
  schema?: unknown;
  code: boolean;
}

/** What a package's thread answers once it has imported the package (thread-source.ts `describe`). */
export interface PackageDescription {
  name: unknown;
  version: unknown;
  nodes: (NodeDescription | null)[] | null;
  credentials?: (CredentialDescription | null)[];
}

/** Answers kept per node and function: the engine asks for a node's outputs at each of its steps. */
const CACHED_ANSWERS = 500;

type Check = (value: unknown, what: string) => unknown;

const names: Check = (value, what) => {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return Object.freeze(value);
  throw new DefinitionCallError(`${what} did not return a list of output names`);
};

const problems: Check = (value, what) => {
  const valid = (p: unknown): p is ErrorDetail =>
    typeof p === 'object' &&
    p !== null &&
    typeof (p as ErrorDetail).message === 'string' &&
    ((p as ErrorDetail).path === undefined || typeof (p as ErrorDetail).path === 'string');
  if (Array.isArray(value) && value.every(valid))
    return Object.freeze(
      value.map((p) => Object.freeze({ ...(p.path !== undefined ? { path: p.path } : {}), message: p.message })),
    );
  throw new DefinitionCallError(`${what} did not return a list of { path, message } problems`);
};

const flag: Check = (value) => Boolean(value);

const CHECKS: Record<DefinitionFunction, Check> = {
  outputs: names,
  validate: problems,
  readsContact: flag,
  readsSteps: flag,
};

const isDefinitionFunction = (field: string): field is DefinitionFunction => Object.hasOwn(CHECKS, field);

/** Whether a node of the package has a definition function, which its definitions thread answers. */
export const callsDefinitions = (described: PackageDescription | null): boolean =>
  described?.nodes?.some((node) => node?.functions.some(isDefinitionFunction)) ?? false;

/**
 * A node's function that the package computes in its definitions thread, its answers kept by
 * params (the functions are pure: SDK.md says synchronous and free of I/O).
 */
function remote(fn: DefinitionFunction, node: { type: string; version: number }, calls: DefinitionThread) {
  const answers = new Map<string, unknown>();
  const what = `${fn} of ${node.type}@${node.version}`;
  return (params: unknown) => {
    const key = JSON.stringify(params) ?? '';
    if (answers.has(key)) return answers.get(key);
    const answer = CHECKS[fn](calls.call(fn, node, params), what);
    if (answers.size >= CACHED_ANSWERS) answers.delete(answers.keys().next().value as string);
    answers.set(key, answer);
    return answer;
  };
}

/** Stands for `run` until `threaded` sends it to the package's step threads. */
const runsInThreads: AnyNodeDefinition['run'] = async () => {
  throw new DefinitionCallError("an installed package's run goes through its threads");
};

function nodeOf(node: NodeDescription | null, calls: DefinitionThread): AnyNodeDefinition {
  // Left as it is for the registry's checks to name what is wrong.
  if (!node) return node as unknown as AnyNodeDefinition;
  const definition: Record<string, unknown> = { ...node.fields };
  const target = { type: String(node.fields.type), version: Number(node.fields.version) };
  for (const field of node.functions) {
    if (field === 'run') definition.run = runsInThreads;
    else if (isDefinitionFunction(field)) definition[field] = remote(field, target, calls);
  }
  return definition as unknown as AnyNodeDefinition;
}

/**
 * A credential type of an installed package: its data only. A `sender` or `events` would run
 * in the process's main thread, with its environment and connections, where an installed
 * package's code never runs; such a package loads through `WAYMARK_NODE_PACKAGES` instead.
 */
function credentialOf(credential: CredentialDescription | null): CredentialDefinition {
  if (!credential) return credential as unknown as CredentialDefinition;
  const { code, ...data } = credential;
  if (code)
    throw new DefinitionCallError(
      `${String(data.type)}: an installed package's credential type cannot have a sender or events (they would run outside its threads); load such a package through WAYMARK_NODE_PACKAGES`,
    );
  return data as unknown as CredentialDefinition;
}

/**
 * The definition the engine uses of a described package; throws with why the description is
 * not that of a `definePackage(...)` value.
 */
export function definitionOf(described: PackageDescription | null, calls: DefinitionThread): PackageDefinition {
  if (!described || !Array.isArray(described.nodes) || typeof described.name !== 'string')
    throw new Error('the default export is not a definePackage({ name, version, nodes }) value');
  const credentials = described.credentials?.map(credentialOf);
  return {
    name: described.name,
    version: described.version as string,
    nodes: described.nodes.map((node) => nodeOf(node, calls)),
    ...(credentials ? { credentials } : {}),
  };
}
