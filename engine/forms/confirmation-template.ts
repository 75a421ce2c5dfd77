import { type ErrorDetail, templateError, ValidationError } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import { templateVersion } from '../content/templates.js';
import type { Database } from '../db/database.js';

const PATH = '/confirmationTemplateId';

/**
 * Refuses a form's confirmation template unless it is stored and its latest version's Liquid
 * parses (subject, body and text). Templates are stored as given, even broken; a form naming a
 * broken one would send every signup the built-in mail instead.
 */
export async function checkConfirmationTemplate(db: Kysely<Database>, workspaceId: string, id: string) {
  const template = await templateVersion(db, workspaceId, id);
  if (!template) throw new ValidationError(`no template ${id}`, [{ path: PATH, message: `no template ${id}` }]);
  const parts = [
    ['subject', template.subject, 'text'],
    ['body', template.body, 'html'],
    ['text', template.text, 'text'],
  ] as const;
  const problems = parts.flatMap(([part, source, kind]): ErrorDetail[] => {
    const error = source ? templateError(source, kind) : null;
    return error ? [{ path: PATH, message: `template ${id} does not parse: ${part}: ${error}` }] : [];
  });
  if (problems.length) throw new ValidationError(`template ${id} does not parse`, problems);
}
