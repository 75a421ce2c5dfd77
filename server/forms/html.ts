/*
 * The public form's markup. It imports nothing, so the editor's form builder draws its live
 * preview with these very functions (editor/README.md, the form builder): what a form needs
 * here is declared structurally (engine/forms/definition.ts FormField and store.ts Form fit it).
 */

/** What the page shows of a field. */
export interface FieldMarkup {
  name: string;
  label: string;
  type: string;
  required: boolean;
  options?: readonly string[];
  default?: string | boolean;
}

/** What the page shows of a form. */
export interface FormMarkup {
  id: string;
  name: string;
  fields: readonly FieldMarkup[];
  consentText: string | null;
}

/** A refused value (an ErrorDetail of @waymark/sdk), shown at the field its path names. */
type Problem = { path?: string; message: string };

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:32em;margin:3em auto;padding:0 1em}' +
  'label{display:block;margin:.8em 0 .2em}input,select,textarea{width:100%;padding:.4em;box-sizing:border-box}' +
  'input[type=checkbox]{width:auto}.wm-hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}' +
  '.wm-error{color:#b00020;font-size:.9em}button{margin-top:1em;padding:.5em 1.2em}';

export function page(title: string, body: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`
  );
}

function input(field: FieldMarkup, value: unknown): string {
  const name = escapeHtml(field.name);
  const required = field.required ? ' required' : '';
  const current = value === undefined ? field.default : value;
  const text = typeof current === 'string' ? escapeHtml(current) : '';
  switch (field.type) {
    case 'textarea':
      return `<textarea id="f-${name}" name="${name}"${required}>${text}</textarea>`;
    case 'checkbox':
      return `<input type="checkbox" id="f-${name}" name="${name}" value="on"${current === true || current === 'on' ? ' checked' : ''}${required}>`;
    case 'select':
      return (
        `<select id="f-${name}" name="${name}"${required}><option value=""></option>` +
        (field.options ?? [])
          .map((o) => `<option${o === current ? ' selected' : ''}>${escapeHtml(o)}</option>`)
          .join('') +
        '</select>'
      );
    default:
      return `<input type="${field.type}" id="f-${name}" name="${name}" value="${text}"${required}>`;
  }
}

/**
 * The form as HTML, without script: one input per field named by its `name`, the consent
 * checkbox `_consent` when the form has consent text, and the honeypot `_hp` people never see.
 * `problems` (from a refused post) are shown at their fields.
 */
export function formHtml(
  form: FormMarkup,
  action: string,
  values: Record<string, unknown> = {},
  problems: readonly Problem[] = [],
): string {
  const problemAt = (name: string) => {
    const found = problems.filter((p) => p.path === `/${name}`);
    return found.map((p) => `<div class="wm-error" role="alert">${escapeHtml(p.message)}</div>`).join('');
  };
  const fields = form.fields
    .map((f) => {
      if (f.type === 'hidden')
        return `<input type="hidden" name="${escapeHtml(f.name)}" value="${escapeHtml(String(f.default ?? ''))}">`;
      return `<label for="f-${escapeHtml(f.name)}">${escapeHtml(f.label)}</label>${input(f, values[f.name])}${problemAt(f.name)}`;
    })
    .join('');
  const consent = form.consentText
    ? `<label><input type="checkbox" name="_consent" value="on" required> ${escapeHtml(form.consentText)}</label>${problemAt('_consent')}`
    : '';
  const honeypot =
    '<div class="wm-hp" aria-hidden="true"><label for="f-_hp">Leave this empty</label>' +
    '<input type="text" id="f-_hp" name="_hp" value="" tabindex="-1" autocomplete="off"></div>';
  return (
    `<form method="post" action="${escapeHtml(action)}" class="wm-form">${fields}${consent}${honeypot}` +
    '<button type="submit">Subscribe</button></form>'
  );
}

export function formPage(form: FormMarkup, values?: Record<string, unknown>, problems?: readonly Problem[]): string {
  return page(form.name, `<h1>${escapeHtml(form.name)}</h1>${formHtml(form, `/f/${form.id}`, values, problems)}`);
}

export const thanksPage = (doubleOptIn: boolean) =>
  page(
    'Thank you',
    doubleOptIn
      ? '<h1>Check your inbox</h1><p>We sent you an email: click the link in it to confirm your subscription.</p>'
      : '<h1>Thank you</h1><p>You are signed up.</p>',
  );

export const confirmedPage = () =>
  page('Subscription confirmed', '<h1>Subscription confirmed</h1><p>Thank you: your subscription is confirmed.</p>');

export const notFoundPage = () =>
  page('Not found', '<h1>Not found</h1><p>This form or link does not exist (any more).</p>');
