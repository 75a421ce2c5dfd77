/**
 * The shapes of a signup form and its definition (contracts/content.md "Forms") apart from the
 * code that checks and stores them: no runtime imports, so the editor reads the same types
 * (type-only) without the engine's database code.
 */

export type FieldType = 'email' | 'text' | 'tel' | 'textarea' | 'checkbox' | 'select' | 'date' | 'hidden';

export interface FormField {
  name: string;
  label: string;
  type: FieldType;
  required: boolean;
  options?: string[];
  default?: string | boolean;
  /** `email`, `phone`, `externalId`, `timezone`, `attributes.<dotted path>`, or null (kept in the event only). */
  mapTo: string | null;
}

/** A form as stored: everything a client sets (contracts/content.md "Forms"). */
export interface FormDefinition {
  name: string;
  enabled: boolean;
  fields: FormField[];
  consentText: string | null;
  lists: string[];
  tags: string[];
  doubleOptIn: boolean;
  confirmationTemplateId: string | null;
  confirmationFrom: string | null;
  redirect: string | null;
}

/** A form as the API answers it: its definition, where it is served and how to embed it. */
export interface Form extends FormDefinition {
  id: string;
  version: number;
  url: string;
  embed: string;
  createdAt: string;
  updatedAt: string;
}

/** A form as `GET /api/forms` lists it. */
export type FormSummary = Pick<Form, 'id' | 'name' | 'version' | 'enabled' | 'doubleOptIn' | 'updatedAt'>;
