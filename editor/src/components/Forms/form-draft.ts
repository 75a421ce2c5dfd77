/**
 * A signup form as the builder edits it: the body of `PUT /api/forms/:id` (contracts/content.md
 * "Forms", server/routes/forms/schemas.ts). Keys the builder has no input for stay in the object,
 * so a definition written as JSON survives a trip through the builder unchanged.
 */

import type { FieldType, FormDefinition, FormField } from '../../../../engine/forms/types.ts';

export const FIELD_KINDS = [
  { type: 'email', label: 'Email address' },
  { type: 'text', label: 'Text' },
  { type: 'tel', label: 'Phone number' },
  { type: 'textarea', label: 'Long text' },
  { type: 'checkbox', label: 'Checkbox' },
  { type: 'select', label: 'Choice list' },
  { type: 'date', label: 'Date' },
  { type: 'hidden', label: 'Hidden value' },
] as const satisfies readonly { type: FieldType; label: string }[];
export type FieldKind = (typeof FIELD_KINDS)[number]['type'];

/**
 * A field as the builder edits it: the engine's, `required` and `mapTo` optional as the body
 * takes them (the engine fills them in), other keys kept.
 */
export type FieldDraft = Omit<FormField, 'required' | 'mapTo'> &
  Partial<Pick<FormField, 'required' | 'mapTo'>> & { [other: string]: unknown };

/** A form as the builder edits it: the engine's definition, all but its name and fields optional. */
export type FormDraft = Partial<Omit<FormDefinition, 'name' | 'fields'>> & {
  name: string;
  fields: FieldDraft[];
  [other: string]: unknown;
};

/** What a form's answer holds that a client does not send back (contracts/content.md `PUT /api/forms/:id`). */
const ANSWER_ONLY = new Set(['id', 'version', 'url', 'embed', 'createdAt', 'updatedAt']);

export function editable(form: Record<string, unknown>): FormDraft {
  return Object.fromEntries(Object.entries(form).filter(([k]) => !ANSWER_ONLY.has(k))) as FormDraft;
}

/** A new form: its email field (the one every form needs) and a consent line. */
export const starter = (id: string): FormDraft => ({
  name: id,
  fields: [{ name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' }],
  consentText: 'Yes, send me news',
  lists: [],
  tags: [],
  doubleOptIn: false,
});

export const pretty = (value: unknown) => JSON.stringify(value, null, 2);

/** The JSON text as a draft the builder can show, or why it cannot (not JSON, or not a form's shape). */
export function parseDraft(text: string): { draft: FormDraft } | { error: string; json: boolean } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { error: `the definition is not JSON (${(e as Error).message})`, json: false };
  }
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(value) || !Array.isArray(value.fields) || !value.fields.every(isObject))
    return { error: 'the definition is not a form: an object with a "fields" list of objects', json: true };
  return { draft: value as FormDraft };
}

/** A name no field has yet (`field2`, `field3`, …). */
export function freshName(fields: readonly FieldDraft[]): string {
  const taken = new Set(fields.map((f) => f.name));
  let n = fields.length + 1;
  while (taken.has(`field${n}`)) n++;
  return `field${n}`;
}

/** Moves a field in place (the list keeps its objects, so their inputs keep their state). */
export function moveField(fields: FieldDraft[], from: number, to: number): void {
  const [field] = fields.splice(from, 1);
  if (field) fields.splice(to, 0, field);
}

/**
 * The field a kind change leaves valid: options belong to a choice list, a ticked default to a
 * checkbox, a text default to the other kinds.
 */
export function changeKind(field: FieldDraft, type: FieldKind): void {
  field.type = type;
  if (type !== 'select') delete field.options;
  else field.options ??= [];
  if (type === 'checkbox' ? typeof field.default === 'string' : typeof field.default === 'boolean')
    delete field.default;
}

/** What `mapTo` fills on the contact, as the builder's choice of it. */
export const MAP_CHOICES = [
  { value: 'email', label: 'Email' },
  { value: 'phone', label: 'Phone' },
  { value: 'externalId', label: 'External id' },
  { value: 'timezone', label: 'Time zone' },
  { value: 'attribute', label: 'An attribute…' },
  { value: 'none', label: 'Nothing (kept in the form.submitted event only)' },
] as const;
export type MapChoice = (typeof MAP_CHOICES)[number]['value'];

export const ATTRIBUTE = 'attributes.';

export function mapChoice(mapTo: string | null | undefined): MapChoice {
  if (mapTo === null || mapTo === undefined) return 'none';
  if (mapTo.startsWith(ATTRIBUTE)) return 'attribute';
  return (MAP_CHOICES.find((c) => c.value === mapTo)?.value ?? 'attribute') as MapChoice;
}

export function mapToOf(choice: MapChoice, attributePath: string): string | null {
  if (choice === 'none') return null;
  return choice === 'attribute' ? `${ATTRIBUTE}${attributePath}` : choice;
}
