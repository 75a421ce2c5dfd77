import { type ErrorDetail, isMailbox, notMailbox, ValidationError } from '@waymark/sdk';
import { CONTENT_ID } from '../content/templates.js';
import { parseUrlText, URL_TEXT_RULE } from '../http/url-text.js';
import type { FieldType, FormDefinition, FormField } from './types.js';

export type { FieldType, FormDefinition, FormField };

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const MAP_TO = /^(email|phone|externalId|timezone|attributes\.[^.\s]+(\.[^.\s]+)*)$/;

/** The definition with its defaults filled in. */
export function withDefaults(input: Partial<FormDefinition> & { name: string; fields: FormField[] }): FormDefinition {
  return {
    name: input.name,
    enabled: input.enabled ?? true,
    fields: input.fields.map((f) => ({ ...f, required: f.required ?? false, mapTo: f.mapTo ?? null })),
    consentText: input.consentText ?? null,
    lists: input.lists ?? [],
    tags: input.tags ?? [],
    doubleOptIn: input.doubleOptIn ?? false,
    confirmationTemplateId: input.confirmationTemplateId ?? null,
    confirmationFrom: input.confirmationFrom ?? null,
    redirect: input.redirect ?? null,
  };
}

/**
 * Checks a form's rules beyond its JSON Schema: one required field maps to `email`; field
 * names are valid and unique; a `select` has options; double opt-in comes with consent text
 * and a From; `redirect` is an absolute http(s) URL; `confirm` is no form id. (Whether the
 * confirmation template exists is the store's check.)
 */
export function checkForm(id: string, form: FormDefinition): void {
  const details: ErrorDetail[] = [];
  if (!CONTENT_ID.test(id) || id === 'confirm') details.push({ path: '/id', message: `${id} is not a valid form id` });
  const emails = form.fields.filter((f) => f.mapTo === 'email');
  if (emails.length !== 1 || !emails[0]?.required)
    details.push({ path: '/fields', message: 'exactly one field must map to email, and it must be required' });
  const seen = new Set<string>();
  const mapped: FormField[] = [];
  form.fields.forEach((f, i) => {
    if (!FIELD_NAME.test(f.name))
      details.push({
        path: `/fields/${i}/name`,
        message:
          f.name === ''
            ? 'a field needs a name'
            : `"${f.name}" is not a valid field name: 1–64 letters, digits or _, starting with a letter`,
      });
    if (seen.has(f.name)) details.push({ path: `/fields/${i}/name`, message: `field ${f.name} appears twice` });
    seen.add(f.name);
    if (f.type === 'select' && !f.options?.length)
      details.push({ path: `/fields/${i}/options`, message: 'a select field needs options' });
    if (f.mapTo !== null && (!MAP_TO.test(f.mapTo) || /(^|\.)(__proto__|constructor|prototype)(\.|$)/.test(f.mapTo)))
      details.push({ path: `/fields/${i}/mapTo`, message: `${f.mapTo} is no contact field` });
    const clash = f.mapTo !== null && f.mapTo !== 'email' ? mapClash(f.mapTo, mapped) : null;
    if (clash) details.push({ path: `/fields/${i}/mapTo`, message: clash });
    else if (f.mapTo !== null) mapped.push(f);
  });
  if (form.doubleOptIn && !form.consentText)
    details.push({ path: '/consentText', message: 'double opt-in needs the consent text' });
  if (form.doubleOptIn && !form.confirmationFrom)
    details.push({
      path: '/confirmationFrom',
      message: 'double opt-in needs the From address of the confirmation mail',
    });
  if (form.confirmationFrom && !isMailbox(form.confirmationFrom))
    details.push({ path: '/confirmationFrom', message: notMailbox('/confirmationFrom') });
  if (form.redirect !== null && !['http:', 'https:'].includes(parseUrlText(form.redirect)?.protocol ?? ''))
    details.push({ path: '/redirect', message: `redirect must be an absolute http(s) URL, ${URL_TEXT_RULE}` });
  if (details.length) throw new ValidationError('the form is invalid', details);
}

/**
 * Why a field cannot fill `mapTo` beside the fields mapped before it: two filling one contact
 * field, or one an attribute and another a part of it (`attributes.a`, `attributes.a.b`),
 * would leave which value is kept to their order.
 */
function mapClash(mapTo: string, earlier: readonly FormField[]): string | null {
  for (const { name, mapTo: other } of earlier) {
    if (other === mapTo) return `${mapTo} is already filled by field ${name}`;
    if (other?.startsWith(`${mapTo}.`)) return `${mapTo} holds ${other}, filled by field ${name}`;
    if (other !== null && mapTo.startsWith(`${other}.`)) return `${mapTo} is within ${other}, filled by field ${name}`;
  }
  return null;
}
