/**
 * The shapes of the template answers (contracts/content.md, API.md "Preview and test send")
 * apart from the code that stores, renders and checks templates: no runtime imports, so the
 * editor reads the same types (type-only) without the engine's database or rendering code.
 */

export type TemplateFormat = 'mjml' | 'html';

/** A template's content at one version (or a draft). */
export interface TemplateContent {
  format: TemplateFormat;
  subject: string;
  body: string;
  text: string | null;
}

export interface TemplateInput extends TemplateContent {
  name: string;
}

export interface TemplateVersion extends TemplateInput {
  id: string;
  version: number;
  savedAt: string;
}

export interface Template extends TemplateInput {
  id: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  versions: { version: number; savedAt: string }[];
}

/** A template as `GET /api/templates` lists it. */
export type TemplateSummary = Pick<Template, 'id' | 'name' | 'format' | 'version' | 'updatedAt'>;

/** One finding of a template preview (API.md "Preview and test send"). */
export interface Problem {
  code:
    | 'liquid-error'
    | 'mjml-error'
    | 'insecure-link'
    | 'relative-link'
    | 'image-without-alt'
    | 'html-too-large'
    | 'missing-unsubscribe';
  severity: 'error' | 'warning';
  message: string;
  part?: 'subject' | 'body' | 'text';
  line?: number;
  column?: number;
  url?: string;
  src?: string;
  size?: number;
}

export interface Preview {
  subject: string | null;
  html: string | null;
  text: string | null;
  size: number;
  problems: Problem[];
  /** The headers the email would carry (List-Unsubscribe for marketing mail). */
  headers: Record<string, string>;
}
