import type { SendRequest } from '@waymark/sdk';
import { describe, expect, test } from 'vitest';
import { credentialOf } from '../../../engine/messages/send/send-prepare.js';
import { createMessagesService } from '../../../engine/messages/service.js';
import { createStepBatch } from '../../../engine/runs/step/step-batch.js';
import { stepScope } from '../../channels/scope.js';
import { useTwoWorkspaces } from '../two-workspaces.js';

// Workspace isolation of what a step batch reads once for its steps: a batch may hold steps of
// both workspaces (webhooks of A and B queued in one statement share a job by node id).
const w = useTwoWorkspaces();

const mail = (credential: string): SendRequest => ({
  channel: 'email',
  category: 'transactional',
  from: 'b@example.com',
  subject: 'Hi',
  html: '<p>Hi</p>',
  credential,
});

describe('two workspaces: one step batch', () => {
  test('a send of B naming A’s credential is refused even after a step of A in the same batch read it', async () => {
    const batch = createStepBatch(w.t.runtime.db);
    const inA = await stepScope(w.t.runtime, { workspaceId: w.A, batch });
    const inB = await stepScope(w.t.runtime, { workspaceId: w.B, batch });
    const asked = mail(w.a.credential as string);
    await expect(credentialOf({ scope: inA, asked })()).resolves.toMatchObject({
      data: { host: 'smtp.example.com' },
    });
    await expect(credentialOf({ scope: inB, asked })()).rejects.toMatchObject({ stepCode: 'credential.missing' });
  });

  test('a send of B naming A’s credential is refused when it is read first, and A still reads its own', async () => {
    const batch = createStepBatch(w.t.runtime.db);
    const inA = await stepScope(w.t.runtime, { workspaceId: w.A, batch });
    const inB = await stepScope(w.t.runtime, { workspaceId: w.B, batch });
    const asked = mail(w.a.credential as string);
    await expect(credentialOf({ scope: inB, asked })()).rejects.toMatchObject({ stepCode: 'credential.missing' });
    await expect(credentialOf({ scope: inA, asked })()).resolves.toMatchObject({
      data: { host: 'smtp.example.com' },
    });
  });
});

describe('two workspaces: the sends of one step batch', () => {
  test('a send of B asked in the same turn as one of A reaches B’s contact, decided by B’s rules', async () => {
    const bContact = (
      await w.ok<{ id: string }>(
        { method: 'POST', url: '/api/contacts', payload: { email: 'b-batch@example.com' } },
        w.bAuth,
      )
    ).id;
    const batch = createStepBatch(w.t.runtime.db);
    const inA = await stepScope(w.t.runtime, { workspaceId: w.A, contactId: w.a.contact, batch });
    const inB = await stepScope(w.t.runtime, { workspaceId: w.B, contactId: bContact, batch });
    const hi = { channel: 'email', category: 'transactional', subject: 'Hi', html: '<p>Hi</p>' } as const;
    const [a, b] = await Promise.allSettled([createMessagesService(inA).send(hi), createMessagesService(inB).send(hi)]);
    expect(a).toMatchObject({ status: 'fulfilled', value: { status: 'sent' } });
    expect(b).toMatchObject({ status: 'fulfilled', value: { status: 'sent' } });
    const bSent = (b as PromiseFulfilledResult<{ messageId: string }>).value.messageId;
    const aSent = (a as PromiseFulfilledResult<{ messageId: string }>).value.messageId;
    const mine = await w.ok<{ to: string; contactId: string }>(
      { method: 'GET', url: `/api/messages/${bSent}` },
      w.bAuth,
    );
    expect(mine).toMatchObject({ to: 'b-batch@example.com', contactId: bContact });
    expect((await w.call({ method: 'GET', url: `/api/messages/${aSent}` }, w.bAuth)).statusCode).toBe(404);
  });
});
