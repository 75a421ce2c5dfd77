import { type Liquid, Tokenizer, type TopLevelToken, TypeGuards } from 'liquidjs';

/** An output's token: where its content ends (`contentRange[1]`) is where a rewrite appends a filter. */
export type OutputToken = TopLevelToken & { contentRange: [number, number] };

/**
 * Walks a template's top-level text and outputs in order, outside comments: `text` gets each
 * run of the template's own text, `output` each output (`{{ … }}`, and `{% echo … %}` with
 * something to echo). The source rewrites of JSON and URL templates place their filters by it.
 */
export function walkOutputs(
  source: string,
  liquid: Liquid,
  visit: { text(content: string): void; output(token: OutputToken): void },
): void {
  let commentDepth = 0;
  for (const token of new Tokenizer(source, liquid.options.operators).readTopLevelTokens(liquid.options)) {
    if (TypeGuards.isHTMLToken(token)) {
      if (commentDepth === 0) visit.text(token.getContent());
      continue;
    }
    if (TypeGuards.isTagToken(token)) {
      if (token.name === 'comment') commentDepth++;
      else if (token.name === 'endcomment') commentDepth = Math.max(0, commentDepth - 1);
      if (token.name !== 'echo' || !token.args.trim()) continue;
    } else if (!TypeGuards.isOutputToken(token)) continue;
    if (commentDepth > 0 || !TypeGuards.isDelimitedToken(token) || !token.content.trim()) continue;
    visit.output(token);
  }
}

/** `source` with `text` inserted at each of `at` (offsets in `source`). */
export function insertAt(source: string, inserts: readonly { at: number; text: string }[]): string {
  let out = source;
  for (const { at, text } of [...inserts].sort((a, b) => b.at - a.at))
    out = `${out.slice(0, at)}${text}${out.slice(at)}`;
  return out;
}
