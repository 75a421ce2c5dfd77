import { beforeAll, describe, expect, test } from 'vitest';
import { e, eventually, n, runEnds } from '../engine/support.js';
import type { TestApp } from '../support/runtime.js';
import {
  api,
  BODY_MUST_BE_OBJECT,
  failedRunOf,
  failing,
  postNull,
  publishAgain,
  publishJourney,
  start,
  withSettings,
  withWorkingApp,
} from './support.js';

const working = withWorkingApp();
let t: TestApp;
beforeAll(() => {
  t = working.app();
});

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const failedRun = async () => failedRunOf(t);

async function publishProblems(graph: object) {
  const created = await api(t, { method: 'POST', url: '/api/journeys', payload: { name: 'bad', graph } });
  const res = await api(t, { method: 'POST', url: `/api/journeys/${created.body.id}/publish` });
  expect(res.status).toBe(422);
  expect(res.body.error.code).toBe('invalid_graph');
  return res.body.error.details as { nodeId?: string; edgeId?: string; path?: string; message: string }[];
}

describe('node settings at publish', () => {
  test('each bad setting is named by its node and a path under /settings', async () => {
    const details = await publishProblems(
      failing({ onError: 'ignore', retry: { attempts: 26, backoff: 'soon', maxBackoff: 'P2D', jitter: 1 }, x: 1 }),
    );
    const paths = details.filter((d) => d.nodeId === 'fail').map((d) => d.path);
    expect(paths.sort()).toEqual(
      [
        '/settings/onError',
        '/settings/retry/attempts',
        '/settings/retry/backoff',
        '/settings/retry/maxBackoff',
        '/settings/retry/jitter',
        '/settings/x',
      ].sort(),
    );
  });

  test('settings that are not an object are stored in the draft as given, and named at /settings by validate and publish', async () => {
    const created = await api(t, {
      method: 'POST',
      url: '/api/journeys',
      payload: { name: 'typed', graph: failing() },
    });
    const url = `/api/journeys/${created.body.id}`;
    for (const settings of ['x', [], 5, null]) {
      const graph = failing();
      graph.nodes[1] = withSettings(n('fail', 'tst.flaky', { final: true }), settings);
      const put = await api(t, { method: 'PUT', url: `${url}/draft`, payload: { graph } });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      expect((await api(t, { url })).body.draft.graph.nodes[1].settings).toEqual(settings);
      const problem = { nodeId: 'fail', path: '/settings', message: 'settings must be an object' };
      const validated = await api(t, { method: 'POST', url: `${url}/validate` });
      expect(validated.body).toEqual({ valid: false, errors: [expect.objectContaining(problem)] });
      const published = await api(t, { method: 'POST', url: `${url}/publish` });
      expect(published.status).toBe(422);
      expect(published.body.error.details).toEqual([expect.objectContaining(problem)]);
    }
  });

  test('maxBackoff shorter than backoff, and attempts that are not a whole number, are refused', async () => {
    const details = await publishProblems(failing({ retry: { attempts: 1.5, backoff: 'PT1M', maxBackoff: 'PT1S' } }));
    expect(details.map((d) => d.path).sort()).toEqual(['/settings/retry/attempts', '/settings/retry/maxBackoff']);
  });

  test('maxBackoff shorter than the default backoff (PT1S) is refused, naming the node and path', async () => {
    const details = await publishProblems(failing({ retry: { maxBackoff: 'PT0S' } }));
    expect(details).toEqual([
      {
        nodeId: 'fail',
        path: '/settings/retry/maxBackoff',
        message: 'maxBackoff must not be shorter than backoff (PT1S when not given)',
      },
    ]);
  });

  test('a backoff with no amount (PT, P) is not a duration', async () => {
    const details = await publishProblems(failing({ retry: { backoff: 'PT', maxBackoff: 'P' } }));
    expect(details.map((d) => d.path).sort()).toEqual(['/settings/retry/backoff', '/settings/retry/maxBackoff']);
  });

  test('settings on a trigger or on core.exit are refused', async () => {
    const details = await publishProblems({
      nodes: [withSettings(n('t', 'tst.trigger'), { onError: 'fail' }), withSettings(n('x', 'core.exit'), {})],
      edges: [e('t', 'x')],
    });
    expect(details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ nodeId: 't', path: '/settings' }),
        expect.objectContaining({ nodeId: 'x', path: '/settings' }),
      ]),
    );
  });

  test('an edge from error beside onError fail or continue is named', async () => {
    const graph = failing({ onError: 'continue' });
    graph.edges.push({ id: 'caught', source: 'fail', sourceHandle: 'error', target: 'after' });
    const details = await publishProblems(graph);
    expect(details).toEqual([expect.objectContaining({ edgeId: 'caught', nodeId: 'fail', path: '/settings/onError' })]);
  });

  test('a good policy publishes, and GET /api/nodes lists error last for action nodes only', async () => {
    await publishJourney(t, failing({ onError: 'output', retry: { attempts: 1, backoff: 'PT0S', maxBackoff: 'P1D' } }));
    const { body } = await api(t, { url: '/api/nodes' });
    const outputs = (type: string) => body.nodes.find((d: { type: string }) => d.type === type)?.outputs;
    expect(outputs('http.request')).toEqual(['ok', 'error']);
    expect(outputs('email.send')).toEqual(['sent', 'suppressed', 'error']);
    expect(outputs('core.exit')).toEqual([]);
    expect(outputs('core.condition')).toEqual(['yes', 'no']);
    expect(outputs('core.run-failed')).toEqual(['out']);
  });
});

describe('onError at run time', () => {
  test('continue goes on along the first output with the error, and the run does not fail', async () => {
    const j = await publishJourney(t, failing({ onError: 'continue' }));
    const { run, steps } = await runEnds(t.runtime.db, await start(t, j));
    expect(run.status).toBe('completed');
    expect(steps.map((s) => [s.node_id, s.status])).toEqual([
      ['t', 'completed'],
      ['fail', 'failed'],
      ['after', 'completed'],
    ]);
    expect(steps[1]?.output).toEqual({
      error: { code: 'node.failed', message: 'this is final', attempts: 1, retryable: false },
    });
  });

  test('a test run applies settings as production does', async () => {
    const graph = failing({ onError: 'output' });
    graph.edges = [e('t', 'fail'), e('fail', 'after', 'error')];
    const { journeyId } = await publishJourney(t, graph);
    const { body } = await api(t, { method: 'POST', url: `/api/journeys/${journeyId}/test`, payload: {} });
    expect(body.status).toBe('completed');
    expect(body.steps[1]).toMatchObject({
      nodeId: 'fail',
      status: 'failed',
      next: 'error',
      error: { code: 'node.failed' },
    });
    expect(body.steps[2]).toMatchObject({ nodeId: 'after', status: 'completed' });
  });

  test('a failing run of a core.run-failed journey starts no other (no cascades)', async () => {
    const watcher = await publishJourney(t, {
      nodes: [n('t', 'core.run-failed', {}), n('fail', 'tst.flaky', { final: true })],
      edges: [e('t', 'fail')],
    });
    const { runId } = await failedRun();
    const first = await runEnds(t.runtime.db, (await waitForRun(watcher.journeyId, 1))[0] as string);
    expect(first.run.status).toBe('failed');
    expect(first.run.trigger).toMatchObject({ runId });
    // A later run finishing means the worker has taken the failure's job by then.
    const probe = await publishJourney(t, { nodes: [n('t', 'tst.trigger'), n('a', 'tst.step')], edges: [e('t', 'a')] });
    await runEnds(t.runtime.db, await start(t, probe));
    // Its own failure fired nothing: one run, for the other journey's failure.
    expect(await runsOf(watcher.journeyId)).toHaveLength(1);
  });
});

describe('core.run-failed params', () => {
  test('a journey named by anything but its id is refused at publish, naming the entry', async () => {
    const problems = await publishProblems({
      nodes: [n('t', 'core.run-failed', { journeys: ['Welcome series'] }), n('a', 'tst.step')],
      edges: [e('t', 'a')],
    });
    expect(problems).toEqual([expect.objectContaining({ nodeId: 't', path: '/journeys/0' })]);
  });

  test('journeys, nodes and codes (a trailing * a prefix) narrow which failures start a run', async () => {
    const source = await failedRunSource();
    const watcher = (params: Record<string, unknown>) =>
      publishJourney(t, { nodes: [n('t', 'core.run-failed', params), n('a', 'tst.step')], edges: [e('t', 'a')] });
    const matching = await Promise.all([
      watcher({ journeys: [source.journeyId], nodes: ['fail'], codes: ['node.*'] }),
      watcher({ codes: ['node.failed'] }),
    ]);
    const other = await Promise.all([
      watcher({ journeys: [UNKNOWN] }),
      watcher({ nodes: ['elsewhere'] }),
      watcher({ codes: ['http.*'] }),
    ]);
    const runId = await start(t, source);
    expect((await runEnds(t.runtime.db, runId)).run.status).toBe('failed');
    for (const j of matching) {
      // Only this failure's run counts (an earlier test's failure may reach a new watcher too).
      const alert = await eventually(async () => {
        const { body } = await api(t, { url: `/api/runs?journeyId=${j.journeyId}` });
        return body.runs.find((r: { trigger: { runId?: string } }) => r.trigger.runId === runId);
      });
      expect(alert.trigger).toMatchObject({ runId, nodeId: 'fail', error: { code: 'node.failed' } });
    }
    const probe = await publishJourney(t, { nodes: [n('t', 'tst.trigger'), n('a', 'tst.step')], edges: [e('t', 'a')] });
    await runEnds(t.runtime.db, await start(t, probe));
    for (const j of other) expect(await runsOf(j.journeyId)).toEqual([]);
  });
});

async function failedRunSource() {
  return publishJourney(t, failing());
}

async function runsOf(journeyId: string): Promise<string[]> {
  const { body } = await api(t, { url: `/api/runs?journeyId=${journeyId}` });
  return body.runs.map((r: { id: string }) => r.id);
}
async function waitForRun(journeyId: string, count: number): Promise<string[]> {
  for (let i = 0; i < 200; i++) {
    const ids = await runsOf(journeyId);
    if (ids.length >= count) return ids;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no run started');
}

describe('POST /api/runs/:id/retry refuses', () => {
  test('a run that is not failed: 409 naming its status', async () => {
    const j = await publishJourney(t, { nodes: [n('t', 'tst.trigger'), n('a', 'tst.step')], edges: [e('t', 'a')] });
    const runId = await start(t, j);
    await runEnds(t.runtime.db, runId);
    const res = await api(t, { method: 'POST', url: `/api/runs/${runId}/retry` });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'conflict', message: expect.stringContaining('completed') });
  });

  test('an unknown run (404), a bad id and an unknown field (400)', async () => {
    expect((await api(t, { method: 'POST', url: `/api/runs/${UNKNOWN}/retry` })).status).toBe(404);
    expect((await api(t, { method: 'POST', url: '/api/runs/nope/retry' })).status).toBe(400);
    const { runId } = await failedRun();
    const extra = await api(t, { method: 'POST', url: `/api/runs/${runId}/retry`, payload: { from: 'start' } });
    expect(extra.status).toBe(400);
  });

  test('a JSON body null: 400 at the body as the bulk retry answers, the run still failed (no body at all retries it)', async () => {
    const { runId } = await failedRun();
    const url = `/api/runs/${runId}/retry`;
    const res = await postNull(t, url);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject(BODY_MUST_BE_OBJECT);
    const { body: run } = await api(t, { url: `/api/runs/${runId}` });
    expect(run.status).toBe('failed');
    expect(run.steps.filter((s: { nodeId: string }) => s.nodeId === 'fail')).toHaveLength(1);
    expect((await api(t, { method: 'POST', url })).status).toBe(200);
  });

  test('a version that does not exist, is older, or lacks the failed node: 400 at /version, run unchanged', async () => {
    const { runId, journeyId } = await failedRun();
    await publishAgain(t, journeyId); // v2, the same graph
    await publishAgain(t, journeyId, {
      nodes: [n('t', 'tst.trigger'), n('other', 'tst.step')],
      edges: [e('t', 'other')],
    });
    const { body: v1run } = await api(t, { url: `/api/runs/${runId}` });
    for (const version of [9, 3]) {
      const res = await api(t, { method: 'POST', url: `/api/runs/${runId}/retry`, payload: { version } });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details[0]).toMatchObject({ path: '/version' });
    }
    expect((await api(t, { url: `/api/runs/${runId}` })).body).toEqual(v1run);
    // Moved to v2 it fails again (same node), and from there v1 is older.
    expect((await api(t, { method: 'POST', url: `/api/runs/${runId}/retry`, payload: { version: 2 } })).status).toBe(
      200,
    );
    await runEnds(t.runtime.db, runId);
    const older = await api(t, { method: 'POST', url: `/api/runs/${runId}/retry`, payload: { version: 1 } });
    expect(older.status).toBe(400);
    expect(older.body.error.message).toContain('older');
  });

  test('concurrent retries of one run start it once; the others get 409', async () => {
    // A node that runs past its time limit: the retried run stays running for its two
    // attempts, so no request can come after it failed again (and rightly start it again).
    const j = await publishJourney(t, {
      nodes: [n('t', 'tst.trigger'), n('fail', 'tst.hang')],
      edges: [e('t', 'fail')],
    });
    const runId = await start(t, j);
    expect((await runEnds(t.runtime.db, runId)).run.status).toBe('failed');
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => api(t, { method: 'POST', url: `/api/runs/${runId}/retry` })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409]);
    const { steps } = await runEnds(t.runtime.db, runId);
    expect(steps.filter((s) => s.node_id === 'fail').length).toBe(2);
  });

  test('a failed run of an archived journey: 409', async () => {
    const { runId, journeyId } = await failedRun();
    expect((await api(t, { method: 'DELETE', url: `/api/journeys/${journeyId}` })).status).toBe(204);
    const res = await api(t, { method: 'POST', url: `/api/runs/${runId}/retry` });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('archived');
  });
});
