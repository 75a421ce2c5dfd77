import type { CatalogueNode } from '../api/types/catalogue.ts';
import type { JsonObject } from '../api/types/json.ts';

/** Outputs of the built-in nodes (NODES.md), for when the catalogue says they depend on params. */
const KNOWN_OUTPUTS: Record<string, string[]> = {
  'core.webhook': ['out'],
  'core.event': ['out'],
  'core.segment': ['out'],
  'core.schedule': ['out'],
  'core.date': ['out'],
  'core.condition': ['yes', 'no'],
  'core.wait': ['out'],
  'core.wait-for-event': ['event', 'timeout'],
  'core.exit': [],
  'email.send': ['sent', 'suppressed'],
  'sms.send': ['sent', 'suppressed'],
  'http.request': ['ok', 'error'],
  'crm.update-contact': ['out'],
  'crm.tag': ['out'],
  'crm.list': ['out'],
  'crm.create-lead': ['out'],
};

/**
 * The outputs a node offers for its params. Computed outputs are only known for core.split
 * (its variant keys); other unknown cases fall back to NODES.md, then to a single `out`.
 */
export function outputsFor(type: string, def: CatalogueNode | undefined, params: JsonObject): string[] {
  if (def?.outputs) return def.outputs;
  if (type === 'core.split') {
    const variants = Array.isArray(params.variants) ? params.variants : [];
    const keys = variants.map((v) => (v && typeof v === 'object' && !Array.isArray(v) ? v.key : null));
    // Empty keys stay (as '') so a variant being retyped keeps its place and its edges.
    return keys.map((k) => (typeof k === 'string' ? k : ''));
  }
  return KNOWN_OUTPUTS[type] ?? ['out'];
}

/**
 * The outputs a node draws as handles, of those it offers: not a split variant still unnamed,
 * and the engine's `error` only under "Error output" (`onError`), or while an edge still leaves it.
 */
export function drawnOutputs(offered: readonly string[], onError: string | undefined, errorWired: boolean): string[] {
  const showsError = onError === 'output' || (!onError && errorWired);
  return offered.filter((o) => o !== '' && (o !== 'error' || showsError));
}
