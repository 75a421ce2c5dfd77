import { randomUUID } from 'node:crypto';
import { isMailbox, notMailbox, ValidationError, WaymarkError } from '@waymark/sdk';
import type { WithinChange } from '../db/transaction.js';
import { defaultFrom } from '../messages/compose/addresses.js';
import type { Runtime } from '../runtime.js';
import { storeAndDeliver } from './outgoing.js';
import { type PreviewRequest, previewTemplate } from './preview.js';

/** A test send whose template does not render: HTTP 422 `template_error`, the errors in `details`. */
export class TemplateError extends WaymarkError {
  constructor(message: string, details: { path?: string; message: string }[]) {
    super('template_error', message, details);
  }
}

/**
 * Sends a template's preview to `to`, subject prefixed `[Test] `, with the preview's links. No
 * contact rules apply and nothing is recorded on any contact; the message is stored with no
 * contact, run or node. Answers once the mail server (or the outbox) accepted it. `onStored`
 * runs, with the message's id, in the transaction that stores it, before it is sent.
 */
export async function sendTestTemplate(
  runtime: Runtime,
  workspaceId: string,
  id: string,
  request: PreviewRequest & { to: string; from: string },
  onStored?: WithinChange<string>,
): Promise<{ messageId: string; to: string; subject: string }> {
  if (!isMailbox(request.from))
    throw new ValidationError("the request's body is invalid", [{ path: '/from', message: notMailbox('/from') }]);
  const preview = await previewTemplate(runtime, workspaceId, id, request);
  const faults = preview.problems.filter((p) => p.severity === 'error');
  if (faults.length || preview.html === null || preview.subject === null)
    throw new TemplateError(
      `template ${id} does not render`,
      faults.map((p) => ({ path: `/${p.part ?? 'body'}`, message: p.message })),
    );
  const messageId = randomUUID();
  const subject = `[Test] ${preview.subject}`;
  const { config } = runtime;
  await storeAndDeliver(
    runtime.db,
    { smtp: runtime.smtp, publicUrl: config.publicUrl },
    {
      id: messageId,
      workspaceId,
      contactId: null,
      category: request.category ?? 'marketing',
      links: [],
      message: {
        messageId,
        channel: 'email',
        to: request.to,
        from: request.from || defaultFrom(config.publicUrl),
        subject,
        html: preview.html,
        ...(preview.text !== null ? { text: preview.text } : {}),
        headers: preview.headers,
      },
    },
    onStored && ((trx) => onStored(trx, messageId)),
  );
  return { messageId, to: request.to, subject };
}
