import { beforeAll, describe, expect, test } from 'vitest';
import { e, eventually, n, runEnds } from '../../engine/support.js';
import type { TestApp } from '../../support/runtime.js';
import {
  api,
  BODY_MUST_BE_OBJECT,
  failedRunOf,
  postNull,
  publishAgain,
  publishJourney,
  start,
  withWorkingApp,
} from '../support.js';

const working = withWorkingApp();
let t: TestApp;
beforeAll(() => {
  t = working.app();
});

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const failedRun = () => failedRunOf(t);

describe('bulk retries refuse', () => {
  test('an unknown journey (404), from after to, a bad code list, a bad time or an unknown field (400)', async () => {
    expect((await api(t, { method: 'POST', url: `/api/journeys/${UNKNOWN}/retry`, payload: {} })).status).toBe(404);
    const { journeyId } = await failedRun();
    const url = `/api/journeys/${journeyId}/retry`;
    const backwards = await api(t, {
      method: 'POST',
      url,
      payload: { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' },
    });
    expect(backwards.status).toBe(400);
    expect(backwards.body.error.details[0].path).toBe('/from');
    expect((await api(t, { method: 'POST', url, payload: { codes: [{}] } })).status).toBe(400);
    expect((await api(t, { method: 'POST', url, payload: { everything: true } })).status).toBe(400);
    expect((await api(t, { method: 'POST', url, payload: { from: 'yesterday' } })).status).toBe(400);
    expect((await api(t, { method: 'POST', url, payload: { version: 0 } })).status).toBe(400);
    expect((await api(t, { url: `/api/journeys/${journeyId}/failures?from=soon` })).status).toBe(400);
    expect((await api(t, { url: `/api/journeys/${UNKNOWN}/failures` })).status).toBe(404);
    expect((await api(t, { url: `/api/journeys/${UNKNOWN}/retry` })).status).toBe(404);
    // No body at all: every failed run, counted first.
    expect((await api(t, { method: 'POST', url: `${url}` })).status).toBe(202);
  });

  test('a JSON body null: 400 at the body, no job, the run still failed (no body at all retries every run)', async () => {
    const { journeyId, runId } = await failedRun();
    const url = `/api/journeys/${journeyId}/retry`;
    const res = await postNull(t, url);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject(BODY_MUST_BE_OBJECT);
    expect((await api(t, { url })).body.jobs).toEqual([]);
    expect((await api(t, { url: `/api/runs/${runId}` })).body.status).toBe('failed');
  });

  test('a version lacking a selected run’s failed node: 400 with one detail per node, no job', async () => {
    const { journeyId } = await failedRun();
    const v2 = await publishAgain(t, journeyId, {
      nodes: [n('t', 'tst.trigger'), n('other', 'tst.step')],
      edges: [e('t', 'other')],
    });
    const res = await api(t, {
      method: 'POST',
      url: `/api/journeys/${journeyId}/retry`,
      payload: { version: v2.version },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: '/version', nodeId: 'fail' })]);
    expect((await api(t, { url: `/api/journeys/${journeyId}/retry` })).body.jobs).toEqual([]);
  });

  test('a dry run answers a version that does not exist or lacks a failed node as the real retry would', async () => {
    const { journeyId } = await failedRun();
    const v2 = await publishAgain(t, journeyId, {
      nodes: [n('t', 'tst.trigger'), n('other', 'tst.step')],
      edges: [e('t', 'other')],
    });
    const url = `/api/journeys/${journeyId}/retry`;
    const unknown = await api(t, { method: 'POST', url, payload: { dryRun: true, version: 9 } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: '/version', message: 'the journey has no published version 9' }],
    });
    const lacking = await api(t, { method: 'POST', url, payload: { dryRun: true, version: v2.version } });
    expect(lacking.status).toBe(400);
    expect(lacking.body.error.details).toEqual([expect.objectContaining({ path: '/version', nodeId: 'fail' })]);
  });

  test('a version that does not exist is refused even when no run is selected, and no job is made', async () => {
    const { journeyId } = await failedRun();
    const url = `/api/journeys/${journeyId}/retry`;
    const res = await api(t, { method: 'POST', url, payload: { codes: ['no.such-code'], version: 9 } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: '/version' })]);
    expect((await api(t, { url })).body.jobs).toEqual([]);
  });

  test('an unknown job (404); cancelling a finished job (409)', async () => {
    const { journeyId } = await failedRun();
    expect((await api(t, { url: `/api/journeys/${journeyId}/retry/${UNKNOWN}` })).status).toBe(404);
    const queued = await api(t, { method: 'POST', url: `/api/journeys/${journeyId}/retry`, payload: {} });
    const jobUrl = `/api/journeys/${journeyId}/retry/${queued.body.jobId}`;
    for (let i = 0; i < 200; i++) {
      if ((await api(t, { url: jobUrl })).body.status === 'completed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const res = await api(t, { method: 'POST', url: `${jobUrl}/cancel` });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
    // Another journey's id does not reach the job.
    expect((await api(t, { url: `/api/journeys/${UNKNOWN}/retry/${queued.body.jobId}` })).status).toBe(404);
  });

  test('a job cancelled before it ran leaves its runs failed', async () => {
    const { journeyId, runId } = await failedRun();
    await working.stopWorker();
    const queued = await api(t, { method: 'POST', url: `/api/journeys/${journeyId}/retry`, payload: {} });
    const cancelled = await api(t, {
      method: 'POST',
      url: `/api/journeys/${journeyId}/retry/${queued.body.jobId}/cancel`,
    });
    expect(cancelled.body).toMatchObject({
      status: 'cancelled',
      matched: 1,
      retried: 0,
      finishedAt: expect.any(String),
    });
    await working.startWorker();
    // A run started after the cancel finishes, so the worker has taken the queued job by then.
    const probe = await publishJourney(t, {
      nodes: [n('t', 'tst.trigger'), n('a', 'tst.step')],
      edges: [e('t', 'a')],
    });
    await runEnds(t.runtime.db, await start(t, probe));
    expect((await api(t, { url: `/api/runs/${runId}` })).body.status).toBe('failed');
  });
});

describe('bulk retries leave runs of an archived journey failed, as the single route does', () => {
  test('a dry run and a retry answer 409 naming the archive, and no job is made', async () => {
    const { journeyId, runId } = await failedRun();
    expect((await api(t, { method: 'DELETE', url: `/api/journeys/${journeyId}` })).status).toBe(204);
    for (const payload of [{ dryRun: true }, {}]) {
      const res = await api(t, { method: 'POST', url: `/api/journeys/${journeyId}/retry`, payload });
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'conflict', message: expect.stringContaining('archived') });
    }
    expect((await api(t, { url: `/api/journeys/${journeyId}/retry` })).body.jobs).toEqual([]);
    expect((await api(t, { url: `/api/runs/${runId}` })).body.status).toBe('failed');
  });

  test('a job skips a run whose journey was archived after the job was created', async () => {
    const { journeyId, runId } = await failedRun();
    await working.stopWorker();
    const queued = await api(t, { method: 'POST', url: `/api/journeys/${journeyId}/retry`, payload: {} });
    expect(queued.body.matched).toBe(1);
    expect((await api(t, { method: 'DELETE', url: `/api/journeys/${journeyId}` })).status).toBe(204);
    await working.startWorker();
    const job = await eventually(async () => {
      const { body } = await api(t, { url: `/api/journeys/${journeyId}/retry/${queued.body.jobId}` });
      return body.status === 'completed' ? body : undefined;
    });
    expect(job).toMatchObject({
      matched: 1,
      retried: 0,
      skipped: 1,
      runs: { running: 0, waiting: 0, completed: 0, failed: 0, exited: 0 },
    });
    expect((await api(t, { url: `/api/runs/${runId}` })).body).toMatchObject({
      status: 'failed',
      failure: { nodeId: 'fail' },
    });
  });
});

describe('the failures view refuses', () => {
  test('from after to: 400 at /from, as analytics and bulk retries answer', async () => {
    const { journeyId } = await failedRun();
    const res = await api(t, {
      url: `/api/journeys/${journeyId}/failures?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z`,
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: '/from', message: 'from must not be after to' }],
    });
  });

  test('a version never published: 404, as analytics answers, not an empty list', async () => {
    const { journeyId, version } = await failedRun();
    const res = await api(t, { url: `/api/journeys/${journeyId}/failures?version=99` });
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe(`journey ${journeyId} has no version 99`);
    expect((await api(t, { url: `/api/journeys/${journeyId}/failures?version=${version}` })).body.total).toBe(1);
  });
});
