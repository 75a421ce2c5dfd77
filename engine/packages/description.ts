import type { AnyNodeDefinition, CredentialDefinition, ErrorDetail, PackageDefinition } from '@waymark/sdk';
import { DefinitionCallError, type DefinitionFunction, type DefinitionThread } from './isolation/definition-calls.js';

/** A node as its package's thread describes it: its plain fields, and which fields are functions. */
export interface NodeDescription {
  fields: Record<string, unknown>;
  functions: string[];
}

/** A credential type's `sender` or `events` as described: its data, and which of its functions it has. */
export interface PartDescription {
  channel?: unknown;
  provider?: unknown;
  /** Not an object. */
  invalid?: boolean;
  functions: string[];
}

/** A credential type as described: its data, and what it has of a `sender` and `events`. */
export interface CredentialDescription {
  type?: unknown;
  title?: unknown;
  description?: unknown;
  schema?: unknown;
  sender?: PartDescription;
  events?: PartDescription;
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

/**
 * How long a call that did not answer is answered with its failure, without asking again: each
 * such call held the main thread (every route, every step) for `DEFINITION_LIMIT_MS`, and a
 * function that loops for some params loops for them each time.
 */
export const UNANSWERED_KEPT_MS = 60_000;

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
 * params (the functions are pure: SDK.md says synchronous and free of I/O), and its failure to
 * answer in time too, for `UNANSWERED_KEPT_MS`.
 */
function remote(fn: DefinitionFunction, node: { type: string; version: number }, calls: DefinitionThread) {
  const answers = new Map<string, unknown>();
  const unanswered = new Map<string, { error: DefinitionCallError; until: number }>();
  const what = `${fn} of ${node.type}@${node.version}`;
  const keep = <T>(kept: Map<string, T>, key: string, value: T) => {
    if (kept.size >= CACHED_ANSWERS) kept.delete(kept.keys().next().value as string);
    kept.set(key, value);
  };
  return (params: unknown) => {
    const key = JSON.stringify(params) ?? '';
    if (answers.has(key)) return answers.get(key);
    const failed = unanswered.get(key);
    if (failed && failed.until > Date.now()) throw new DefinitionCallError(failed.error.message, true);
    unanswered.delete(key);
    let answer: unknown;
    try {
      answer = CHECKS[fn](calls.call(fn, node, params), what);
    } catch (error) {
      if (error instanceof DefinitionCallError && error.unanswered)
        keep(unanswered, key, { error, until: Date.now() + UNANSWERED_KEPT_MS });
      throw error;
    }
    keep(answers, key, answer);
    return answer;
  };
}

/** Stands for `run` until `threaded` sends it to the package's step threads. */
const runsInThreads: AnyNodeDefinition['run'] = async () => {
  throw new DefinitionCallError("an installed package's run goes through its threads");
};

/** Stands for a trigger's function until `threaded` sends it to the package's threads. */
const triggerInThreads = async (): Promise<never> => {
  throw new DefinitionCallError("an installed package's trigger functions go through its threads");
};

/** A trigger's `webhook` or `poll` as described (`{ functions, every? }`): its functions standing for the package's own. */
function triggerPartOf(described: unknown): unknown {
  if (!described || typeof described !== 'object') return described;
  const { functions, invalid, ...data } = described as PartDescription & { every?: unknown };
  if (invalid) return 'not an object';
  return { ...data, ...Object.fromEntries((functions ?? []).map((fn) => [fn, triggerInThreads])) };
}

function nodeOf(node: NodeDescription | null, calls: DefinitionThread): AnyNodeDefinition {
  // Left as it is for the registry's checks to name what is wrong.
  if (!node) return node as unknown as AnyNodeDefinition;
  const definition: Record<string, unknown> = { ...node.fields };
  for (const part of ['webhook', 'poll'] as const)
    if (definition[part] !== undefined) definition[part] = triggerPartOf(definition[part]);
  const target = { type: String(node.fields.type), version: Number(node.fields.version) };
  for (const field of node.functions) {
    if (field === 'run') definition.run = runsInThreads;
    else if (isDefinitionFunction(field)) definition[field] = remote(field, target, calls);
  }
  return definition as unknown as AnyNodeDefinition;
}

/** Stands for a credential function until `threaded` sends it to the package's threads. */
const credentialInThreads = async (): Promise<never> => {
  throw new DefinitionCallError("an installed package's credential functions go through its threads");
};

/** The functions of a described part, each standing for the package's own (absent ones left out). */
const functionsOf = (part: PartDescription) =>
  Object.fromEntries(part.functions.map((fn) => [fn, credentialInThreads]));

/**
 * A credential type of an installed package: its data, and its `sender` (`channel`) and
 * `events` (`provider`) as the engine reads them, their functions standing for the package's
 * own, which `threaded` runs in its threads. What is wrong with them (a missing `send`, a
 * provider other than the package's prefix) the registry says (`installedProblems`).
 */
function credentialOf(credential: CredentialDescription | null): CredentialDefinition {
  if (!credential) return credential as unknown as CredentialDefinition;
  const { sender, events, ...data } = credential;
  const part = (name: 'sender' | 'events', described: PartDescription | undefined, field: 'channel' | 'provider') => {
    if (!described) return {};
    return { [name]: described.invalid ? 'not an object' : { [field]: described[field], ...functionsOf(described) } };
  };
  return {
    ...data,
    ...part('sender', sender, 'channel'),
    ...part('events', events, 'provider'),
  } as unknown as CredentialDefinition;
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
