import { assertTemplateMarkup, configureEscapeFilters, limitFilters, markTemplateLinks } from '@waymark/sdk';
import { type Context, type Emitter, type FS, Liquid, LiquidError, RenderError } from 'liquidjs';

type TagClass = Liquid['tags'][string];

const MAX_DEPTH = 5;

/** A snippet chain refused as it is inserted: deeper than 5, or a cycle (a Liquid error). */
class SnippetNesting extends Error {}

/** A snippet whose source is refused before it parses (too many outputs and tags). */
export class SnippetMarkup extends Error {}

/**
 * A fault inside an inserted snippet, carried to the tag of the part that inserted it: a
 * problem's `line` and `column` are the part's (content.md), so the editor marks the render
 * tag; the message still names the snippet and the fault's place in it.
 */
export class SnippetFault extends Error {
  constructor(readonly inner: LiquidError) {
    const [line, column] = inner.token.getPosition();
    const what = (inner as { originalError?: Error }).originalError?.message ?? inner.message;
    super(`${what} (snippet ${inner.token.file}, line ${line}, col ${column})`);
  }
}

/** Whether `error` happened inside a snippet rather than at a tag of the part itself. */
const inSnippet = (error: unknown): error is LiquidError =>
  LiquidError.is(error) && Boolean((error as LiquidError).token?.file);

/**
 * The stored snippets as liquidjs's file system for one render. A snippet is read (and, for
 * an HTML part, its links marked) only when the render inserts it, so the workspace's other
 * snippets cost nothing. `enter` and `leave` bracket each inserting tag, so the chain of
 * snippets being rendered is known whatever the tag's form (`{% liquid render 'x' %}`, a
 * name held in a variable): reading a snippet already in the chain, or a sixth level, fails.
 */
class SnippetFiles implements FS {
  readonly sep = '/';
  private readonly marked = new Map<string, string>();
  /** The snippet each inserting tag under way reads (null until it has read one). */
  private readonly chain: (string | null)[] = [];

  constructor(
    private readonly snippets: ReadonlyMap<string, string>,
    private readonly mark: ((body: string) => string) | null,
  ) {}

  enter(): number {
    return this.chain.push(null);
  }

  leave(depth: number): void {
    this.chain.length = depth - 1;
  }

  exists = async (name: string) => this.existsSync(name);
  existsSync = (name: string) => this.snippets.has(name);
  readFile = async (name: string) => this.readFileSync(name);
  resolve = (_dir: string, name: string) => name;

  readFileSync = (name: string): string => {
    const body = this.snippets.get(name);
    if (body === undefined) throw new Error(`no snippet ${name}`);
    // A `{% render … for %}` reads its snippet once per item, each from the same tag.
    const outer = this.chain.slice(0, -1);
    const path = [...outer.filter((n): n is string => n !== null), name];
    if (outer.includes(name)) throw new SnippetNesting(`snippet cycle: ${path.join(' → ')}`);
    if (this.chain.length > MAX_DEPTH)
      throw new SnippetNesting(`snippets nest deeper than ${MAX_DEPTH}: ${path.join(' → ')}`);
    this.chain[this.chain.length - 1] = name;
    try {
      assertTemplateMarkup(body);
    } catch (error) {
      throw new SnippetMarkup(`snippet ${name}: ${(error as Error).message}`);
    }
    if (!this.mark) return body;
    let marked = this.marked.get(name);
    if (marked === undefined) {
      marked = this.mark(body);
      this.marked.set(name, marked);
    }
    return marked;
  };
}

// The tags that insert a snippet, each read through SnippetFiles.
const INSERTING = ['render', 'include', 'layout'] as const;

/**
 * A liquidjs engine for one render whose `{% render %}`, `{% include %}` and `{% layout %}`
 * find only `snippets` (never a file on disk), nest at most 5 deep and never loop; given the
 * render's link `mark` (HTML), each snippet's own links carry it as the template's do.
 */
export function snippetLiquid(
  options: ConstructorParameters<typeof Liquid>[0],
  snippets: ReadonlyMap<string, string>,
  mark: string | null,
): Liquid {
  const marker = new Liquid(options);
  const files = new SnippetFiles(snippets, mark ? (body) => markTemplateLinks(body, marker, mark) : null);
  const liquid = limitFilters(
    configureEscapeFilters(
      new Liquid({
        ...options,
        fs: files,
        root: ['.'],
        partials: ['.'],
        layouts: ['.'],
        relativeReference: false,
        cache: false,
      }),
      options?.outputEscape ? 'html' : 'text',
    ),
  );
  for (const name of INSERTING) {
    const Base = liquid.tags[name] as TagClass;
    const render = Base.prototype.render;
    const Tracked = class extends Base {
      *render(ctx: Context, emitter: Emitter): Generator<unknown, unknown, unknown> {
        const depth = files.enter();
        try {
          return yield render.call(this, ctx, emitter);
        } catch (error) {
          // liquidjs passes its own errors up unchanged, so this tag's place is the part's.
          if (depth === 1 && inSnippet(error)) throw new RenderError(new SnippetFault(error), this);
          throw error;
        } finally {
          files.leave(depth);
        }
      }
    };
    liquid.registerTag(name, Tracked);
  }
  return liquid;
}
