import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLogger } from '../../engine/logger.js';
import { enforceAllRetention } from '../../engine/retention/enforce.js';
import { RESET_MAILS_PER_HOUR } from '../../server/teams/accounts/reset-links.js';
import { type SmtpSink, startSmtpSink } from '../channels/smtp-sink.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { defaultWorkspace, makeUser } from '../teams/support.js';

// server/README.md "Password-reset mails": an account is mailed at most 3 reset links in any
// hour, and the answer stays 202 {} for every request, limited or not (teams.md: it must not
// tell which addresses have accounts).

let t: TestApp;
let smtp: SmtpSink;
const withheld: string[] = [];
let onWithheld = () => {};

/** Resolves once `count` requests in all have been held back by the limit (the server logs each). */
async function heldBack(count: number): Promise<void> {
  while (withheld.length < count)
    await new Promise<void>((resolve) => {
      onWithheld = resolve;
    });
}

beforeAll(async () => {
  // The log is the one trace of a request the limit held back: it tells the test when that
  // request is done, so the mails counted after it are all there will be.
  const log = new Writable({
    write(line, _encoding, done) {
      const { msg, userId } = JSON.parse(String(line)) as { msg?: string; userId?: string };
      if (msg?.startsWith('password-reset mail not sent') && userId) {
        withheld.push(userId);
        onWithheld();
      }
      done();
    },
  });
  smtp = await startSmtpSink();
  t = await createTestApp(
    { SMTP_URL: smtp.url, PUBLIC_URL: 'http://waymark.test' },
    { logger: createLogger('warn', undefined, log) },
  );
  const ws = await defaultWorkspace(t.runtime.db);
  for (const email of [
    'flooded@example.com',
    'held@example.com',
    'crowded@example.com',
    'neighbour@example.com',
    'keeper@example.com',
    'expired@example.com',
  ])
    await makeUser(t.runtime.db, email, ws, 'viewer');
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

const reset = (email: string) => t.app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { email } });
const confirm = (token: string, password: string) =>
  t.app.inject({ method: 'POST', url: '/api/auth/password-reset/confirm', payload: { token, password } });
const mailsTo = (email: string) => smtp.mails.filter((m) => m.to && !Array.isArray(m.to) && m.to.text === email);
const tokenOf = (mail: ParsedMail | undefined) =>
  /\/reset-password\/([A-Za-z0-9_-]+)/.exec(String(mail?.text))?.[1] as string;

/**
 * Asks for one more reset of `email` than the limit allows, one after the other: answers the
 * last (limited) request's answer and the mails the account got.
 */
async function overTheLimit(email: string): Promise<{ limited: LightMyRequestResponse; mails: ParsedMail[] }> {
  const before = smtp.mails.length;
  const held = withheld.length;
  for (let i = 1; i <= RESET_MAILS_PER_HOUR; i++) {
    await reset(email);
    await smtp.waitFor(before + i);
  }
  const limited = await reset(email);
  await heldBack(held + 1);
  return { limited, mails: mailsTo(email) };
}

describe('password-reset mails for one account', () => {
  test('four requests at once get four 202s and three mails', async () => {
    const held = withheld.length;
    const before = smtp.mails.length;
    const answers = await Promise.all([1, 2, 3, 4].map(() => reset('flooded@example.com')));
    expect(answers.map((a) => a.statusCode)).toEqual([202, 202, 202, 202]);
    expect(answers.map((a) => a.json())).toEqual([{}, {}, {}, {}]);
    await heldBack(held + 1);
    await smtp.waitFor(before + 3);
    expect(mailsTo('flooded@example.com')).toHaveLength(3);
  });

  test('a request over the limit is answered as one for an unknown email is', async () => {
    const { limited } = await overTheLimit('held@example.com');
    const unknown = await reset('nobody@example.com');
    expect(limited.statusCode).toBe(unknown.statusCode);
    expect(limited.json()).toEqual(unknown.json());
    expect(limited.headers['content-type']).toBe(unknown.headers['content-type']);
  });

  test('another account is still mailed while one is held back', async () => {
    await overTheLimit('crowded@example.com');
    const before = smtp.mails.length;
    expect((await reset('neighbour@example.com')).statusCode).toBe(202);
    await smtp.waitFor(before + 1);
    expect(mailsTo('neighbour@example.com')).toHaveLength(1);
  });

  test('the links already mailed keep working after a request over the limit', async () => {
    const { mails } = await overTheLimit('keeper@example.com');
    expect(mails).toHaveLength(RESET_MAILS_PER_HOUR);
    expect((await confirm(tokenOf(mails.at(-1)), 'the newest link works')).statusCode).toBe(204);
    expect((await confirm(tokenOf(mails[0]), 'so does the oldest one')).statusCode).toBe(204);
  });
});

describe('reset links after the hourly pass', () => {
  test('an expired link is deleted; a live one stays and still works', async () => {
    const before = smtp.mails.length;
    await reset('expired@example.com');
    const [live] = (await smtp.waitFor(before + 1)).slice(before);
    // A link made more than an hour ago, as the table holds it.
    await sql`
      insert into password_resets (token_hash, user_id, expires_at)
      select 'an-expired-link', id, now() - interval '1 minute' from users where email = 'expired@example.com'
    `.execute(t.runtime.db);
    await enforceAllRetention(t.runtime.db, { wait: true });
    const kept = await t.runtime.db.selectFrom('password_resets').select('token_hash').execute();
    expect(kept.map((k) => k.token_hash)).not.toContain('an-expired-link');
    expect((await confirm(tokenOf(live), 'the live link works')).statusCode).toBe(204);
  });
});
