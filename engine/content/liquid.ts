import {
  assertTemplateMarkup,
  configureEscapeFilters,
  LINK_MARK_ATTRIBUTE,
  linkMarkComment,
  markTemplateLinks,
  newLinkMark,
  TEMPLATE_LIMITS,
  type TemplateScope,
  templateErrorCode,
} from '@waymark/sdk';
import { Liquid } from 'liquidjs';
import { SnippetFault, SnippetMarkup, snippetLiquid } from './snippet-files.js';

/** A Liquid failure with where it happened in the part, and the step error code a send fails with. */
export class LiquidFault extends Error {
  constructor(
    message: string,
    readonly code: 'template.parse' | 'template.render',
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
  }
}

/** What a template's Liquid sees: NODES.md's template scope plus `unsubscribeUrl` and extras. */
export type ContentScope = TemplateScope & { unsubscribeUrl: string } & Record<string, unknown>;

const OPTIONS = {
  strictFilters: true,
  ownPropertyOnly: true,
  extname: '',
  ...TEMPLATE_LIMITS,
} as const;

// liquidjs words a missing snippet as a missing file, though snippets are never files.
const MISSING_FILE = /ENOENT: Failed to lookup "([^"]*)" in "[^"]*"/;

/**
 * The column the author wrote, for a place in the source an HTML render parses: each link mark
 * put before it on its line (`attribute`, see markTemplateLinks) moved it right.
 */
function authorColumn(marked: string, attribute: string, line: number, column: number): number {
  const text = marked.split('\n')[line - 1] ?? '';
  let marks = 0;
  for (let at = text.indexOf(attribute); at !== -1 && at < column - 1; at = text.indexOf(attribute, at + 1)) marks++;
  return column - marks * attribute.length;
}

function faultOf(error: unknown, marked?: { source: string; attribute: string }): LiquidFault {
  if (error instanceof LiquidFault) return error;
  // A fault inside a snippet is placed at the part's inserting tag, with the snippet's own code.
  const original = (error as { originalError?: unknown }).originalError;
  const cause = original instanceof SnippetFault ? original.inner : error;
  // A snippet's own markup is refused before it parses: a parse error, wherever it is inserted.
  const code = (cause as { originalError?: unknown }).originalError instanceof SnippetMarkup ? 'template.parse' : null;
  let message = (error instanceof Error ? error.message : String(error)).replace(MISSING_FILE, 'no snippet $1');
  const at = /line:(\d+), col:(\d+)$/.exec(message) ?? /line:(\d+), col:(\d+)/.exec(message);
  const line = at ? Number(at[1]) : undefined;
  let column = at ? Number(at[2]) : undefined;
  if (at && line && column && marked) {
    column = authorColumn(marked.source, marked.attribute, line, column);
    message = `${message.slice(0, at.index)}line:${line}, col:${column}${message.slice(at.index + at[0].length)}`;
  }
  return new LiquidFault(message, code ?? templateErrorCode(cause), line, column);
}

/**
 * Renders one part of a template with the stored snippets (and nothing from the file system):
 * `text` unescaped, `html` with every output HTML-escaped (`| raw` opts out) and the links the
 * template and its snippets wrote marked as their own (the SDK's link marks), ending with the
 * mark comment. Throws a `LiquidFault` with line and column.
 */
export async function renderPart(
  source: string,
  scope: ContentScope,
  kind: 'text' | 'html',
  snippets: ReadonlyMap<string, string>,
): Promise<string> {
  const html = kind === 'html';
  try {
    // Too many outputs and tags: refused before any parse (those of a snippet as it is inserted).
    assertTemplateMarkup(source);
  } catch (error) {
    throw faultOf(error);
  }
  const mark = html ? newLinkMark() : null;
  const liquid = snippetLiquid({ ...OPTIONS, ...(html ? { outputEscape: 'escape' as const } : {}) }, snippets, mark);
  let marked: string | undefined;
  try {
    // Parse errors first on the source as written, so their line and column are the author's.
    configureEscapeFilters(new Liquid(OPTIONS), 'text').parse(source);
    if (!mark) return await liquid.parseAndRender(source, scope, { globals: scope });
    // Parsed for this render only, so the mark is written in, not an output per link.
    marked = markTemplateLinks(source, liquid, mark);
    const out = await liquid.parseAndRender(marked, scope, { globals: scope });
    return `${out}${linkMarkComment(mark)}`;
  } catch (error) {
    throw faultOf(error, marked && mark ? { source: marked, attribute: `${LINK_MARK_ATTRIBUTE}=${mark} ` } : undefined);
  }
}
