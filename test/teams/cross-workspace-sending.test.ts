import type { SendRequest } from '@waymark/sdk';
import { describe, expect, test } from 'vitest';
import { credentialOf } from '../../engine/messages/send-prepare.js';
import { createStepBatch } from '../../engine/runs/step/step-batch.js';
import { stepScope } from '../channels/scope.js';
import { useTwoWorkspaces } from './two-workspaces.js';

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
