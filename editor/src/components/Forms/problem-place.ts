import { pointerKeys } from '../../lib/schema/pointer.ts';
import type { FieldDraft, FormDraft } from './form-draft.ts';
import { type Problem, problemText } from './form-problems.ts';

/**
 * Where the server's problem is, in the builder's words: its pointer (`/fields/2/name`) as the
 * field's card and the input's label (`Field 3 (email) › Name`), so a marketer finds it without
 * reading JSON. The pointer stays on the line as its title, as other pages keep ids.
 */

/** The builder's label of each setting (FormSettings.svelte). */
const SETTINGS: Record<string, string> = {
  id: 'Form id',
  name: 'Title',
  enabled: 'Enabled',
  fields: 'Fields',
  consentText: 'Consent text',
  lists: 'Adds to lists',
  tags: 'Tags the contact',
  doubleOptIn: 'Double opt-in',
  confirmationFrom: 'Confirmation mail from',
  confirmationTemplateId: 'Confirmation mail template',
  redirect: 'After signing up, go to',
};

/** The label of each input of a field's card (FieldEditor.svelte). */
const FIELD_INPUTS: Record<string, string> = {
  type: 'Kind',
  name: 'Name',
  label: 'Label',
  mapTo: 'Fills on the contact',
  required: 'Required',
  options: 'Options',
};

/** What a field's first value is called on its card: it depends on the kind. */
function defaultLabel(field: FieldDraft | undefined): string {
  if (field?.type === 'checkbox') return 'Ticked at first';
  if (field?.type === 'select') return 'Chosen at first';
  return field?.type === 'hidden' ? 'Value' : 'Filled in at first';
}

/** A field's card as the page heads it: `Field 3 (email)`, by its label or else its name. */
function fieldPlace(fields: readonly FieldDraft[], index: number, rest: string[]): string {
  const field = fields[index];
  const title = field?.label || field?.name;
  const words = [title ? `Field ${index + 1} (${title})` : `Field ${index + 1}`];
  const [input, item] = rest;
  if (input === 'default') words.push(defaultLabel(field));
  else if (input === 'options' && item !== undefined && /^\d+$/.test(item)) words.push(`Option ${Number(item) + 1}`);
  else if (input !== undefined) words.push(FIELD_INPUTS[input] ?? input);
  return words.join(' › ');
}

/** The place a pointer names, in the builder's words; one it does not know, as written. */
export function placeOf(draft: FormDraft, path: string): string {
  const [top, ...rest] = pointerKeys(path);
  if (top === 'fields' && rest[0] !== undefined && /^\d+$/.test(rest[0]))
    return fieldPlace(draft.fields ?? [], Number(rest[0]), rest.slice(1));
  const setting = top === undefined ? undefined : SETTINGS[top];
  if (!setting) return path;
  const entry = rest[0];
  return entry !== undefined && /^\d+$/.test(entry) && (top === 'lists' || top === 'tags')
    ? `${setting} › ${draft[top]?.[Number(entry)] ?? `#${Number(entry) + 1}`}`
    : setting;
}

/** A line of the summary: `Field 3 (email) › Name: field email appears twice`. */
export const problemWords = (problem: Problem, draft: FormDraft) =>
  problem.path ? `${placeOf(draft, problem.path)}: ${problemText(problem)}` : problem.message;
