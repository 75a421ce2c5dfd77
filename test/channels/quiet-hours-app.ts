import type { WorkerHandle } from '../../engine/worker/start-worker.js';
import { startWorker } from '../../engine/worker/start-worker.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { type SmtpSink, startSmtpSink } from './smtp-sink.js';

/** The webhook secret of the quiet-hours tests' journeys. */
export const SECRET = 'a-webhook-secret-of-some-length';
/** 23:30 in Helsinki (+02:00): inside the quiet hours the app is given, 21:00–08:00. */
export const IN_QUIET_HOURS = new Date('2030-01-10T21:30:00Z');

/** An app on the test's clock, with a worker and a real SMTP server, under 21:00–08:00 quiet hours. */
export interface QuietHoursApp {
  t: TestApp;
  smtp: SmtpSink;
  worker: WorkerHandle;
}

/**
 * Starts the app: the engine reads `clock.now`, which the test moves (steps read it, and the
 * test runs the step jobs that fall due by then, as the queue would once that much real time
 * had passed).
 */
export async function startQuietHoursApp(clock: { now: Date }): Promise<QuietHoursApp> {
  const smtp = await startSmtpSink();
  const t = await createTestApp(
    { SMTP_URL: smtp.url, PUBLIC_URL: 'https://w.example.com' },
    { clock: { now: () => clock.now } },
  );
  const worker = await startWorker(t.runtime, { pollInterval: 100 });
  const res = await t.app.inject({
    method: 'PUT',
    url: '/api/settings/contact-rules',
    headers: t.auth,
    payload: { quietHours: { start: '21:00', end: '08:00' } },
  });
  if (res.statusCode !== 200) throw new Error(`quiet hours not set: ${res.body}`);
  return { t, smtp, worker };
}

export async function stopQuietHoursApp(app: Partial<QuietHoursApp>): Promise<void> {
  await app.worker?.stop();
  await app.t?.close();
  await app.smtp?.close();
}
