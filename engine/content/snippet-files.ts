import { markTemplateLinks } from '@waymark/sdk';
import { type FS, Liquid } from 'liquidjs';

/**
 * The stored snippets as liquidjs's file system for one render. A snippet is read (and, for
 * an HTML part, its links marked) only when the render inserts it, so the workspace's other
 * snippets cost nothing.
 */
class SnippetFiles implements FS {
  readonly sep = '/';
  private readonly marked = new Map<string, string>();
  constructor(
    private readonly snippets: ReadonlyMap<string, string>,
    private readonly mark: ((body: string) => string) | null,
  ) {}

  exists = async (name: string) => this.existsSync(name);
  existsSync = (name: string) => this.snippets.has(name);
  readFile = async (name: string) => this.readFileSync(name);
  resolve = (_dir: string, name: string) => name;

  readFileSync = (name: string): string => {
    const body = this.snippets.get(name);
    if (body === undefined) throw new Error(`no snippet ${name}`);
    if (!this.mark) return body;
    let marked = this.marked.get(name);
    if (marked === undefined) {
      marked = this.mark(body);
      this.marked.set(name, marked);
    }
    return marked;
  };
}

/**
 * A liquidjs engine for one render whose `{% render %}`, `{% include %}` and `{% layout %}`
 * find only `snippets` (never a file on disk); given the render's link `mark` (HTML), each
 * snippet's own links carry it as the template's do.
 */
export function snippetLiquid(
  options: ConstructorParameters<typeof Liquid>[0],
  snippets: ReadonlyMap<string, string>,
  mark: string | null,
): Liquid {
  const marker = new Liquid(options);
  const files = new SnippetFiles(snippets, mark ? (body) => markTemplateLinks(body, marker, mark) : null);
  return new Liquid({
    ...options,
    fs: files,
    root: ['.'],
    partials: ['.'],
    layouts: ['.'],
    relativeReference: false,
    cache: false,
  });
}
