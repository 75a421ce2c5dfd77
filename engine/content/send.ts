import { NodeError, type SendRequest } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import type { SecretKeys } from '../config/secret-key.js';
import type { Database } from '../db/database.js';
import { messageLinks } from '../messages/compose/prepare-email.js';
import { renderContent } from './render.js';
import { loadSnippets } from './snippets.js';
import { templateVersion } from './templates.js';

/**
 * A send that names a template, turned into one with `subject`, `html` and `text`: the
 * template (at its version, else its latest) rendered for the message as production sends it,
 * `unsubscribeUrl` being the message's own (marketing; `""` otherwise). An unknown template, or
 * one whose Liquid does not render, fails the step at once (NodeError `template.parse` /
 * `template.render`, naming template, part and line); MJML that does not compile is a warning,
 * its body sent as written. `once`
 * shares the template and snippet reads (a step batch's `shared`).
 */
export async function resolveTemplate(
  db: Kysely<Database>,
  workspaceId: string,
  env: { keys: SecretKeys; publicUrl: string },
  messageId: string,
  request: SendRequest,
  once: <T>(key: string, read: () => Promise<T>) => Promise<T> = (_key, read) => read(),
): Promise<SendRequest> {
  const ref = request.template;
  if (!ref) return request;
  const found = await once(`template:${workspaceId}:${ref.id}:${ref.version ?? 'latest'}`, () =>
    templateVersion(db, workspaceId, ref.id, ref.version),
  );
  if (!found)
    throw new NodeError(`no template ${ref.id}${ref.version !== undefined ? ` at version ${ref.version}` : ''}`);
  const marketing = request.category === 'marketing';
  const unsubscribeUrl = marketing ? messageLinks(env.keys, env.publicUrl, messageId).unsubscribe() : '';
  const rendered = await renderContent({
    content: found,
    scope: Object.assign({}, ref.scope, { unsubscribeUrl }),
    snippets: await once(`snippets:${workspaceId}`, () => loadSnippets(db, workspaceId)),
    publicUrl: env.publicUrl,
    marketing,
  });
  const { fault } = rendered;
  if (fault || rendered.html === null || rendered.subject === null) {
    const problem = fault?.problem;
    throw new NodeError(
      `template ${ref.id} v${found.version}: ${problem?.part ?? 'body'}${problem?.line ? ` line ${problem.line}` : ''}: ${problem?.message ?? 'does not render'}`,
      { code: fault?.code ?? 'template.render' },
    );
  }
  const { template: _template, ...rest } = request;
  return {
    ...rest,
    subject: request.subject ?? rendered.subject,
    html: rendered.html,
    ...(rendered.text !== null ? { text: rendered.text } : {}),
  };
}
