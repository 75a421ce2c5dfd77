import { type Liquid, Tokenizer, TypeGuards } from 'liquidjs';
import type { JsonValue } from '../json.js';

/**
 * The expression of a template that is one output tag and nothing else but whitespace
 * (`{{ trigger.score }}`, `  {{- trigger.tags | first -}} `), or null for any other template
 * (text around the output, two outputs, a tag).
 *
 * @example
 * singleOutput(' {{ trigger.score | plus: 1 }} ', liquid) // ' trigger.score | plus: 1 '
 * singleOutput('Score: {{ trigger.score }}', liquid) // null
 */
export function singleOutput(source: string, liquid: Liquid): string | null {
  if (!source.includes('{{')) return null;
  const tokens = new Tokenizer(source, liquid.options.operators).readTopLevelTokens(liquid.options);
  const outputs = tokens.filter((t) => TypeGuards.isOutputToken(t));
  const rest = tokens.filter((t) => !TypeGuards.isOutputToken(t));
  const blank = rest.every((t) => TypeGuards.isHTMLToken(t) && t.getContent().trim() === '');
  const [output] = outputs;
  return outputs.length === 1 && blank && output && TypeGuards.isDelimitedToken(output) ? output.content : null;
}

/** A value an expression gave, as JSON: undefined stays undefined (nothing was there). */
export function asJson(value: unknown): JsonValue | undefined {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value);
  return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
}
