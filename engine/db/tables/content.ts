import type { JsonObject } from '@waymark/sdk';
import type { Generated } from 'kysely';
import type { Json, OptionalTimestamp, Timestamp } from './foundation.js';

/** An email template, keyed `(workspace_id, id)`: its latest version number; the content lives in its versions. */
export interface TemplatesTable {
  /** The workspace it belongs to. */
  workspace_id: string;
  id: string;
  version: number;
  created_at: Generated<Timestamp>;
  updated_at: Generated<Timestamp>;
}

export interface TemplateVersionsTable {
  /** Its template's workspace: a template is `(workspace_id, id)`. */
  workspace_id: string;
  template_id: string;
  version: number;
  name: string;
  format: 'mjml' | 'html';
  subject: string;
  body: string;
  text: string | null;
  saved_at: Generated<Timestamp>;
}

/** A Liquid snippet that templates insert with `{% render 'name' %}`. */
export interface SnippetsTable {
  /** The workspace it belongs to. */
  workspace_id: string;
  name: string;
  body: string;
  updated_at: Generated<Timestamp>;
}

/** A signup form; `definition` holds its fields, consent text, lists, tags and options. */
export interface FormsTable {
  /** The workspace it belongs to. */
  workspace_id: string;
  id: string;
  version: number;
  definition: Json<JsonObject>;
  created_at: Generated<Timestamp>;
  updated_at: Generated<Timestamp>;
}

/** A double opt-in awaiting its click: what to apply once confirmed. */
export interface FormConfirmationsTable {
  id: Generated<string>;
  form_id: string;
  form_version: number;
  contact_id: string;
  email: string;
  payload: Json<JsonObject>;
  proof_id: string;
  created_at: Generated<Timestamp>;
  /** Set (default now()) when stored, claiming the mail; null when the mail server did not take it. */
  mailed_at: OptionalTimestamp;
  confirmed_at: Timestamp | null;
}

/** Every consent a form gave (or awaits), with its proof (GDPR export). */
export interface ConsentProofsTable {
  id: Generated<string>;
  contact_id: string;
  channel: string;
  status: string;
  proof: Json<JsonObject>;
  created_at: Generated<Timestamp>;
}

export interface ContentTables {
  templates: TemplatesTable;
  template_versions: TemplateVersionsTable;
  snippets: SnippetsTable;
  forms: FormsTable;
  form_confirmations: FormConfirmationsTable;
  consent_proofs: ConsentProofsTable;
}
