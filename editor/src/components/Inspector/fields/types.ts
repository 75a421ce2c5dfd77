import { createContext } from 'svelte';
import type { Schema } from '../../../lib/api/types/catalogue.ts';
import type { Credential } from '../../../lib/api/types/credentials.ts';
import type { JsonValue } from '../../../lib/api/types/json.ts';
import type { FilterScope } from '../../../lib/filter/types.ts';
import type { FieldErrors } from '../../../lib/schema/validate.ts';

/** Props every schema-driven field takes. */
export interface FieldProps {
  /** The property name (the label falls back to it). */
  key: string;
  schema: Schema;
  value: JsonValue | undefined;
  /** JSON pointer of this value inside the node's params, as errors carry it. */
  path: string;
  required?: boolean;
  /** The new value; `undefined` removes an optional key. */
  onchange: (value: JsonValue | undefined) => void;
  /** The field's id (SchemaField's): its control is named by the frame's label through it. */
  fieldId?: string;
}

/** The ids `FieldFrame` gives a field's label, description and errors. */
export const fieldIds = (fieldId: string) => ({
  label: `${fieldId}-label`,
  description: `${fieldId}-description`,
  errors: `${fieldId}-errors`,
});

/**
 * What a field's one control carries so that assistive technology (and `getByLabel`) names it
 * by its frame's label and reads its description and errors with it.
 */
export function controlAria(
  props: Pick<FieldProps, 'fieldId' | 'key' | 'schema' | 'path' | 'required'>,
  errors: FieldErrors,
): Record<string, string | undefined> {
  if (!props.fieldId || !props.key) return {};
  const ids = fieldIds(props.fieldId);
  const described = [props.schema.description ? ids.description : '', errors.has(props.path) ? ids.errors : '']
    .filter(Boolean)
    .join(' ');
  return {
    'aria-labelledby': ids.label,
    'aria-describedby': described || undefined,
    'aria-required': props.required ? 'true' : undefined,
  };
}

/** What the whole form shares: errors by pointer, template variables, credentials. */
export interface FormContext {
  readonly errors: FieldErrors;
  /** Template variables in scope at this node: contact.*, trigger.*, steps.<id>.output, run. */
  readonly variables: string[];
  readonly readOnly: boolean;
  /** Why the controls are disabled when it is a missing permission: every control's title. */
  readonly reason: string | undefined;
  /** Where a filter field of this node is evaluated, which decides the clauses it offers. */
  readonly filterScope: FilterScope;
  readonly stepIds: string[];
  /** The credentials a credential param offers: of its `credentialType`, or sending its `credentialChannel`. */
  credentials(schema: Schema): Credential[];
  /** Whether the field at `path` is a secret typed unseen (a credential's password); absent: none is. */
  secret?(path: string): boolean;
}

export const [getForm, setForm] = createContext<FormContext>();
