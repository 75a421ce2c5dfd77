import { type Api, ApiError } from '../../lib/api/client.ts';
import type { JsonObject } from '../../lib/api/types/json.ts';
import { debounce } from '../../lib/util/debounce.ts';
import { errorMessage, errorWithDetails } from '../../lib/util/format.ts';
import type { Preview, Template, TemplateContent } from './types.ts';

const STARTER = `<mjml>
  <mj-body>
    <mj-section>
      <mj-column>
        <mj-text>Hello {{ contact.attributes.firstName | default: "there" }}</mj-text>
        <mj-button href="https://example.com">Read more</mj-button>
        <mj-text font-size="11px"><a href="{{ unsubscribeUrl }}">Unsubscribe</a></mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
`;

/**
 * One template being edited: its content, the live preview (debounced on every change), the
 * contact it is previewed for, and its version history. Saving makes a new version, so there is
 * no autosave: `unsaved` says when the content differs from what was loaded or saved.
 */
export class TemplateEditor {
  content = $state<TemplateContent>({ name: '', format: 'mjml', subject: '', body: STARTER, text: null });
  version = $state<number | null>(null);
  versions = $state.raw<{ version: number; savedAt: string }[]>([]);
  viewing = $state<number | null>(null);
  preview = $state.raw<Preview | null>(null);
  contactMode = $state<'typed' | 'stored'>('typed');
  contactEmail = $state('ada@example.com');
  contactAttributes = $state('{ "firstName": "Ada" }');
  contactId = $state('');
  category = $state<'marketing' | 'transactional'>('marketing');
  /** Why the template could not be loaded, saved or a version opened. */
  error = $state<string | null>(null);
  /** Why the server refused the preview, apart from the test contact's email (under its field). */
  previewError = $state<string | null>(null);
  /** What is wrong with the test contact's email, as the server said it. */
  emailProblem = $state<string | null>(null);
  /** Why the typed attributes are not a JSON object: the preview then has none. */
  attributesProblem = $derived(attributesProblem(this.contactAttributes));
  saved = $state(false);
  /** The content as last loaded, saved or opened from a version: what leaving would not lose. */
  #kept = $state(JSON.stringify(this.content));
  unsaved = $derived(JSON.stringify(this.content) !== this.#kept);
  #asked = 0;
  readonly #refresh = debounce(() => void this.refreshPreview(), 300);

  constructor(
    private readonly api: Api,
    readonly id: string,
  ) {}

  async load(): Promise<void> {
    try {
      const t = await this.api.get<Template>(`/api/templates/${encodeURIComponent(this.id)}`);
      this.#apply(t);
    } catch (e) {
      if ((e as { status?: number }).status !== 404) this.error = errorMessage(e);
      this.content.name = this.content.name || this.id;
    }
    this.#keep();
    await this.refreshPreview();
  }

  #apply(t: Template): void {
    this.content = { name: t.name, format: t.format, subject: t.subject, body: t.body, text: t.text };
    this.version = t.version;
    this.versions = t.versions;
    this.viewing = null;
    this.#keep();
  }

  #keep(): void {
    this.#kept = JSON.stringify(this.content);
  }

  /** Called on every edit: the preview follows shortly after. */
  changed(): void {
    this.saved = false;
    this.#refresh();
  }

  #contact(): { contactId: string } | { contact: JsonObject } {
    if (this.contactMode === 'stored' && this.contactId.trim()) return { contactId: this.contactId.trim() };
    // A half-typed JSON object previews with no attributes (the field says why).
    const attributes = this.attributesProblem ? {} : parsedAttributes(this.contactAttributes);
    return { contact: { ...(this.contactEmail ? { email: this.contactEmail } : {}), attributes } };
  }

  async refreshPreview(): Promise<void> {
    const { format, subject, body, text } = this.content;
    // An answer for content typed over since is dropped: a slow render must not replace a newer one.
    const asked = ++this.#asked;
    try {
      const preview = await this.api.post<Preview>(`/api/templates/${encodeURIComponent(this.id)}/preview`, {
        ...this.#contact(),
        category: this.category,
        draft: { format, subject, body, text: text || null },
      });
      if (asked !== this.#asked) return;
      this.preview = preview;
      this.previewError = null;
      this.emailProblem = null;
    } catch (e) {
      if (asked !== this.#asked) return;
      const details = e instanceof ApiError ? e.details : [];
      const email = details.find((d) => d.path === '/contact/email');
      this.emailProblem = email ? email.message.replace(/^\/contact: /, '') : null;
      this.previewError = email && details.length === 1 ? null : errorWithDetails(e);
    }
  }

  async save(): Promise<void> {
    try {
      const t = await this.api.put<Template>(`/api/templates/${encodeURIComponent(this.id)}`, {
        ...this.content,
        text: this.content.text || null,
      });
      this.#apply(t);
      this.saved = true;
      this.error = null;
    } catch (e) {
      this.error = `Not saved: ${errorWithDetails(e).replace(/body\//g, '')}`;
    }
  }

  /** Shows an older version in the editor (saving it makes it the newest). */
  async open(version: number): Promise<void> {
    try {
      const v = await this.api.get<TemplateContent>(
        `/api/templates/${encodeURIComponent(this.id)}/versions/${version}`,
      );
      this.content = { name: v.name, format: v.format, subject: v.subject, body: v.body, text: v.text };
      this.viewing = version;
      // An older version is kept on the server: looking at it loses nothing.
      this.#keep();
      await this.refreshPreview();
    } catch (e) {
      this.error = errorMessage(e);
    }
  }
}

function parsedAttributes(typed: string): JsonObject {
  return typed.trim() ? (JSON.parse(typed) as JsonObject) : {};
}

/** Why `typed` is not a JSON object, or null when it is one (or is empty: no attributes). */
function attributesProblem(typed: string): string | null {
  try {
    const value: unknown = parsedAttributes(typed);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? null
      : 'must be a JSON object, like { "firstName": "Ada" }';
  } catch (e) {
    return `not JSON (${errorMessage(e)}): the preview has no attributes until it is`;
  }
}
