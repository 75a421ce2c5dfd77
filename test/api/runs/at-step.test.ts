import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { e, n, publish, runForEmail, testPackage } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// The lists behind the canvas counts: who waits at a node, who passed it, who took an edge.
let t: TestApp;
let worker: WorkerHandle;
let journeyId: string;
const runOf = new Map<string, string>(); // email → run id

beforeAll(async () => {
  t = await createTestApp();
  t.runtime.registry.add(testPackage);
  worker = await startWorker(t.runtime, { pollInterval: 200 });
  const j = await publish(t.runtime.db, {
    nodes: [
      n('t', 'tst.trigger'),
      n('if', 'tst.if', { key: 'vip' }),
      n('w', 'tst.sleep', { ms: 60_000 }),
      n('a', 'tst.step'),
    ],
    edges: [e('t', 'if'), e('if', 'w', 'yes'), e('if', 'a', 'no')],
  });
  journeyId = j.journeyId;
  for (const [email, vip] of [
    ['ada@example.com', true],
    ['bob@example.com', false],
    ['cy_d@example.com', true],
  ] as const) {
    const at = { ...j, triggerNodeId: 't' };
    runOf.set(email, await runForEmail(t.runtime.db, at, email, { vip }, vip ? ['waiting'] : ['completed']));
  }
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

async function list(query: string): Promise<{ emails: string[]; nextCursor: string | null }> {
  const res = await t.app.inject({ url: `/api/runs?journeyId=${journeyId}&${query}`, headers: t.auth });
  expect(res.statusCode).toBe(200);
  const body = res.json();
  return { emails: body.runs.map((r: { contactEmail: string }) => r.contactEmail).sort(), nextCursor: body.nextCursor };
}

describe('GET /api/runs by step', () => {
  test('a node’s waiting count lists the runs parked there, with their contacts’ emails', async () => {
    expect((await list('step=w&stepStatus=waiting')).emails).toEqual(['ada@example.com', 'cy_d@example.com']);
    expect((await list('step=a&stepStatus=waiting')).emails).toEqual([]);
  });

  test('a node’s done count lists the runs that completed it', async () => {
    expect((await list('step=a&stepStatus=completed')).emails).toEqual(['bob@example.com']);
    expect((await list('step=if&stepStatus=completed')).emails).toHaveLength(3);
  });

  test('an edge’s count lists the runs that left by its output', async () => {
    expect((await list('step=if&output=yes')).emails).toEqual(['ada@example.com', 'cy_d@example.com']);
    expect((await list('step=if&output=no')).emails).toEqual(['bob@example.com']);
  });

  test('is searchable by part of the email, wildcards taken literally, and paged', async () => {
    expect((await list('step=if&q=ADA')).emails).toEqual(['ada@example.com']);
    expect((await list('step=if&q=_')).emails).toEqual(['cy_d@example.com']);
    expect((await list('step=if&q=%25')).emails).toEqual([]);
    const first = await list('step=if&limit=2');
    expect(first.emails).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
  });

  test('refuses an unknown step status', async () => {
    const res = await t.app.inject({ url: `/api/runs?step=if&stepStatus=lost`, headers: t.auth });
    expect(res.statusCode).toBe(400);
  });
});
