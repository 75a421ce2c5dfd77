import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { issueResetLink } from '../../../../server/teams/accounts/reset-links.js';
import { experimentsApp, publish, splitGraph } from '../../../experiments/support.js';
import type { TestApp } from '../../../support/runtime.js';
import { changePassword, defaultWorkspace, makeUser, PASSWORD, signIn } from '../../support.js';
import { caller, expectRefused, whileAuditRefused } from '../audit-refusal.js';

// teams.md "Audit log": every successful change is appended in the same transaction as the
// change. A split's winner, a retention enforcement or a password change or reset whose entry
// cannot be written is not made.

let t: TestApp;
let journeyId: string;
beforeAll(async () => {
  t = await experimentsApp();
  const graph = splitGraph([
    { key: 'a', weight: 50 },
    { key: 'b', weight: 50 },
  ]);
  journeyId = (await publish(t.runtime.db, graph)).journeyId;
});
afterAll(() => t.close());

const call = (...args: Parameters<ReturnType<typeof caller>>) => caller(t)(...args);
const split = async () =>
  ((await call('GET', `/api/journeys/${journeyId}/experiments`)).json() as { experiments: { status: string }[] })
    .experiments[0];
const winner = () => `/api/journeys/${journeyId}/nodes/ab/winner`;

describe('decisions whose change cannot be recorded', () => {
  test("picking a split's winner answers 500 and the split goes on testing", async () => {
    expectRefused(await whileAuditRefused(t, () => call('POST', winner(), { variant: 'b' })));
    expect(await split()).toMatchObject({ status: 'testing', decision: null });
  });

  test("clearing a split's winner answers 500 and the winner stands", async () => {
    expect((await call('POST', winner(), { variant: 'a' })).statusCode).toBe(200);
    expectRefused(await whileAuditRefused(t, () => call('DELETE', winner())));
    expect(await split()).toMatchObject({ status: 'override', decision: { variant: 'a' } });
  });

  test('enforcing retention answers 500 and deletes nothing', async () => {
    const { db } = t.runtime;
    const { id } = await db
      .insertInto('runs')
      .values({
        journey_id: journeyId,
        version: 1,
        contact_id: null,
        trigger: JSON.stringify({ note: 'old' }),
        trigger_node_id: 't',
        status: 'completed',
        started_at: sql`now() - interval '100 days'` as never,
        ended_at: sql`now() - interval '95 days'` as never,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect((await call('PUT', '/api/settings/retention', { steps: 'P30D' })).statusCode).toBe(200);
    expectRefused(await whileAuditRefused(t, () => call('POST', '/api/settings/retention/enforce')));
    const run = await db.selectFrom('runs').select('trigger').where('id', '=', id).executeTakeFirstOrThrow();
    expect(run.trigger).toEqual({ note: 'old' });
  });

  test('changing a password answers 500 and the old password still signs in', async () => {
    await makeUser(t.runtime.db, 'changer@example.com', await defaultWorkspace(t.runtime.db), 'editor');
    const browser = await signIn(t.app, 'changer@example.com');
    const res = await whileAuditRefused(t, () => changePassword(t.app, browser, PASSWORD, 'a brand new password'));
    expectRefused(res);
    await expect(signIn(t.app, 'changer@example.com')).resolves.toBeDefined();
  });

  test('resetting a password answers 500, the old password still signs in and the link still works', async () => {
    const userId = await makeUser(t.runtime.db, 'resetter@example.com', await defaultWorkspace(t.runtime.db), 'editor');
    const token = (await issueResetLink(t.runtime.db, userId)) as string;
    const confirm = () =>
      t.app.inject({
        method: 'POST',
        url: '/api/auth/password-reset/confirm',
        payload: { token, password: 'a brand new password' },
      });
    expectRefused(await whileAuditRefused(t, confirm));
    await expect(signIn(t.app, 'resetter@example.com')).resolves.toBeDefined();
    expect((await confirm()).statusCode).toBe(204);
  });
});
