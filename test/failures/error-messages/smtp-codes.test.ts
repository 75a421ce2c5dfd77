import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { SMTPServer } from 'smtp-server';
import { describe, expect, test } from 'vitest';
import { startRun } from '../../../engine/runs/entry/start.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { e, n, publish, runEnds } from '../../engine/support.js';
import { createTestRuntime, type TestRuntime } from '../../support/runtime.js';

// email.send's failures carry the NODES.md codes: a 5xx from the SMTP server refuses the
// message for good (one attempt), a 4xx may pass later (retried under the policy).

/**
 * A real SMTP server that answers every RCPT TO with `code`; with `code` null it takes the mail
 * but offers STARTTLS with smtp-server's own certificate, which no client trusts.
 */
async function refusingSmtp(code: number | null) {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: code === null ? [] : ['STARTTLS'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      callback(code === null ? null : Object.assign(new Error(`mailbox says ${code}`), { responseCode: code }));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const mail = n('mail', 'email.send', {
  from: 'News <news@example.com>',
  subject: 'Hello',
  html: '<p>Hello</p>',
  category: 'transactional',
});
const graph = {
  nodes: [n('t', 'core.webhook'), { ...mail, settings: { retry: { attempts: 3, backoff: 'PT0S' } } }],
  edges: [e('t', 'mail')],
};

async function failureWith(smtpCode: number | null) {
  const smtp = await refusingSmtp(smtpCode);
  let t: TestRuntime | undefined;
  let worker: WorkerHandle | undefined;
  try {
    t = await createTestRuntime({ SMTP_URL: smtp.url });
    worker = await startWorker(t.runtime, { pollInterval: 100 });
    const db = t.runtime.db;
    const contact = await db
      .insertInto('contacts')
      .values({ workspace_id: sql`(select id from workspaces where is_default)`, email: 'ann@example.com' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const j = await publish(db, graph);
    const started = await db
      .transaction()
      .execute((trx) => startRun(trx, { ...j, triggerNodeId: 't', contactId: contact.id, trigger: {} }));
    const { run, steps } = await runEnds(db, started?.runId as string);
    expect(run.status).toBe('failed');
    return steps.find((s) => s.node_id === 'mail')?.error;
  } finally {
    await worker?.stop();
    await t?.close();
    await smtp.close();
  }
}

describe('email.send failures', () => {
  test('a 550 from the SMTP server fails at once as smtp.rejected', async () => {
    expect(await failureWith(550)).toMatchObject({ code: 'smtp.rejected', attempts: 1, retryable: false });
  });

  test('a 451 is retried under the policy as smtp.unavailable', async () => {
    expect(await failureWith(451)).toMatchObject({ code: 'smtp.unavailable', attempts: 3, retryable: true });
  });

  test('a STARTTLS upgrade to an untrusted certificate fails at once as smtp.tls-required', async () => {
    expect(await failureWith(null)).toMatchObject({ code: 'smtp.tls-required', attempts: 1, retryable: false });
  });
});
