import {
  assertTemplateMarkup,
  linkMarkComment,
  markTemplateLinks,
  newLinkMark,
  TEMPLATE_LIMITS,
  type TemplateScope,
  templateErrorCode,
} from '@waymark/sdk';
import { Liquid } from 'liquidjs';
import { snippetLiquid } from './snippet-files.js';

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

const MAX_DEPTH = 5;
const INSERT = /\{%-?\s*(?:render|include)\s+(['"])([^'"]+)\1/g;
const OPTIONS = {
  strictFilters: true,
  ownPropertyOnly: true,
  extname: '',
  ...TEMPLATE_LIMITS,
} as const;

function lineOf(source: string, index: number): [number, number] {
  const before = source.slice(0, index).split('\n');
  return [before.length, (before[before.length - 1]?.length ?? 0) + 1];
}

/**
 * Refuses a snippet chain that nests deeper than 5 or loops: found by reading the names the
 * part and its snippets insert (`{% render 'x' %}`), before anything renders.
 */
function checkNesting(source: string, snippets: ReadonlyMap<string, string>): void {
  const visit = (text: string, path: string[], at: [number, number] | null) => {
    for (const match of text.matchAll(INSERT)) {
      const name = match[2] as string;
      const where = at ?? lineOf(text, match.index ?? 0);
      // The chain of snippets is only known against the snippets stored at render time.
      if (path.includes(name))
        throw new LiquidFault(`snippet cycle: ${[...path, name].join(' → ')}`, 'template.render', ...where);
      if (path.length + 1 > MAX_DEPTH)
        throw new LiquidFault(
          `snippets nest deeper than ${MAX_DEPTH}: ${[...path, name].join(' → ')}`,
          'template.render',
          ...where,
        );
      const body = snippets.get(name);
      if (body === undefined) continue;
      try {
        assertTemplateMarkup(body);
      } catch (error) {
        throw new LiquidFault(`snippet ${name}: ${(error as Error).message}`, 'template.parse', ...where);
      }
      visit(body, [...path, name], where);
    }
  };
  visit(source, [], null);
}

// liquidjs words a missing snippet as a missing file, though snippets are never files.
const MISSING_FILE = /ENOENT: Failed to lookup "([^"]*)" in "[^"]*"/;

function faultOf(error: unknown): LiquidFault {
  if (error instanceof LiquidFault) return error;
  const message = (error instanceof Error ? error.message : String(error)).replace(MISSING_FILE, 'no snippet $1');
  const at = /line:(\d+), col:(\d+)/.exec(message);
  return new LiquidFault(
    message,
    templateErrorCode(error),
    at ? Number(at[1]) : undefined,
    at ? Number(at[2]) : undefined,
  );
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
    // Too many outputs and tags: refused before any parse (those of a snippet: checkNesting).
    assertTemplateMarkup(source);
  } catch (error) {
    throw faultOf(error);
  }
  const mark = html ? newLinkMark() : null;
  const liquid = snippetLiquid({ ...OPTIONS, ...(html ? { outputEscape: 'escape' as const } : {}) }, snippets, mark);
  try {
    // Parse errors first on the source as written, so their line and column are the author's.
    new Liquid(OPTIONS).parse(source);
    checkNesting(source, snippets);
    if (!mark) return await liquid.parseAndRender(source, scope, { globals: scope });
    // Parsed for this render only, so the mark is written in, not an output per link.
    const out = await liquid.parseAndRender(markTemplateLinks(source, liquid, mark), scope, { globals: scope });
    return `${out}${linkMarkComment(mark)}`;
  } catch (error) {
    throw faultOf(error);
  }
}
