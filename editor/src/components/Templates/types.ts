/** The template API's shapes as the editor uses them (contracts/content.md). */
export type TemplateFormat = 'mjml' | 'html';

export interface TemplateSummary {
  id: string;
  name: string;
  format: TemplateFormat;
  version: number;
  updatedAt: string;
}

export interface TemplateContent {
  name: string;
  format: TemplateFormat;
  subject: string;
  body: string;
  text: string | null;
}

export interface Template extends TemplateContent {
  id: string;
  version: number;
  versions: { version: number; savedAt: string }[];
}

export interface Problem {
  code: string;
  severity: 'error' | 'warning';
  message: string;
  part?: string;
  line?: number;
  column?: number;
}

export interface Preview {
  subject: string | null;
  html: string | null;
  text: string | null;
  size: number;
  problems: Problem[];
}
