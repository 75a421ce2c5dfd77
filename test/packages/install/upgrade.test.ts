import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { eventually, runEnds } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { createJourney, fire, installTarball, publishJourney, SECRET } from '../journeys.js';
import { pack, writePackage } from '../support.js';

// Upgrading a package never changes a run halfway through: runs keep the package version
// their journey version was published with; only a new publish takes the new version.
let t: TestApp;
let worker: WorkerHandle;

beforeAll(async () => {
  t = await createTestApp();
  worker = await startWorker(t.runtime, { pollInterval: 100 });
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

const NAME = '@acme/waymark-nodes';
const v1 = () => pack(writePackage({ name: NAME, version: '1.0.0' }));
const v2 = () =>
  pack(
    writePackage({
      name: NAME,
      version: '2.0.0',
      run: "return { next: 'out', output: { shouted: 'v2: ' + ctx.params.text } };",
    }),
  );
const api = (method: 'GET' | 'DELETE', url: string) => t.app.inject({ method, url, headers: t.auth });
const shoutOf = async (runId: string) => {
  const { run, steps } = await runEnds(t.runtime.db, runId, undefined, 20_000);
  expect(run.status).toBe('completed');
  const output = steps.find((s) => s.node_id === 'shout')?.output as { shouted: string } | undefined;
  return output?.shouted;
};

describe('a package upgraded while runs are under way', () => {
  let journeyId: string;
  let before: string;

  test('runs started before the upgrade finish on the old code, new runs on the new', async () => {
    expect((await installTarball(t, await v1())).statusCode).toBe(201);
    journeyId = await createJourney(t, 'acme.shout', { waitMs: 2000 });
    await publishJourney(t, journeyId);
    before = await fire(t, journeyId, 'Ada');
    await runEnds(t.runtime.db, before, ['waiting']);

    expect((await installTarball(t, await v2())).statusCode).toBe(201);
    const { nodes } = (await api('GET', '/api/nodes')).json();
    expect(nodes.find((n: { type: string }) => n.type === 'acme.shout').package).toEqual({
      name: NAME,
      version: '2.0.0',
      versions: ['2.0.0', '1.0.0'],
    });
    expect(await publishJourney(t, journeyId)).toBe(2);
    const after = await fire(t, journeyId, 'Bob');

    expect(await shoutOf(before)).toBe('HELLO ADA');
    expect(await shoutOf(after)).toBe('v2: hello Bob');
    expect((await api('GET', `/api/journeys/${journeyId}/versions/2`)).json().packages).toEqual({ [NAME]: '2.0.0' });
  }, 40_000);

  test('a version a live journey uses cannot be removed: 409 names the journey, nothing removed', async () => {
    const res = await api('DELETE', `/api/packages/${encodeURIComponent(NAME)}/2.0.0`);
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({
      code: 'package_in_use',
      details: [{ journeyId, journeyName: 'Shouting', version: 2, message: expect.stringContaining('Shouting') }],
    });
    const { packages } = (await api('GET', '/api/packages')).json();
    expect(
      packages.filter((p: { name: string }) => p.name === NAME).map((p: { version: string }) => p.version),
    ).toEqual(['2.0.0', '1.0.0']);
  });

  test('a version only ended runs used is removed: 204, and gone from the catalogue', async () => {
    const res = await api('DELETE', `/api/packages/${encodeURIComponent(NAME)}/1.0.0`);
    expect(res.statusCode, res.body).toBe(204);
    const { nodes } = (await api('GET', '/api/nodes')).json();
    expect(nodes.find((n: { type: string }) => n.type === 'acme.shout').package.versions).toEqual(['2.0.0']);
    expect((await api('GET', `/api/packages/${encodeURIComponent(NAME)}/1.0.0`)).statusCode).toBe(404);
  });

  test('a run waiting on a version keeps it from being removed', async () => {
    const waiting = await fire(t, journeyId, 'Cy');
    await runEnds(t.runtime.db, waiting, ['waiting']);
    // Publish a version without the package: only the waiting run holds version 2 now.
    const graph = {
      nodes: [
        { id: 'hook', type: 'core.webhook', version: 1, params: { secret: SECRET }, position: { x: 0, y: 0 } },
        { id: 'done', type: 'core.exit', version: 1, params: {}, position: { x: 0, y: 100 } },
      ],
      edges: [{ id: 'e1', source: 'hook', sourceHandle: 'out', target: 'done' }],
    };
    const saved = await t.app.inject({
      method: 'PUT',
      url: `/api/journeys/${journeyId}/draft`,
      headers: t.auth,
      payload: { graph },
    });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(await publishJourney(t, journeyId)).toBe(3);
    const res = await api('DELETE', `/api/packages/${encodeURIComponent(NAME)}/2.0.0`);
    expect(res.statusCode).toBe(409);
    await eventually(async () => (await shoutOf(waiting)) === 'v2: hello Cy', 20_000);
    expect((await api('DELETE', `/api/packages/${encodeURIComponent(NAME)}/2.0.0`)).statusCode).toBe(204);
  }, 40_000);
});

describe('a run retried after its pinned package version was removed', () => {
  test('fails its step with step.package-missing', async () => {
    const failing = writePackage({
      name: 'flaky-nodes',
      prefix: 'flaky',
      version: '1.0.0',
      run: "throw new Error('not yet');",
      node: 'maxAttempts: 1,',
    });
    expect((await installTarball(t, await pack(failing))).statusCode).toBe(201);
    const id = await createJourney(t, 'flaky.shout', { name: 'Flaky' });
    await publishJourney(t, id);
    const runId = await fire(t, id);
    expect((await runEnds(t.runtime.db, runId, undefined, 20_000)).run.status).toBe('failed');
    // A failed run holds nothing: once the journey no longer publishes the package, it goes.
    const graph = {
      nodes: [
        { id: 'hook', type: 'core.webhook', version: 1, params: { secret: SECRET }, position: { x: 0, y: 0 } },
        { id: 'done', type: 'core.exit', version: 1, params: {}, position: { x: 0, y: 100 } },
      ],
      edges: [{ id: 'e1', source: 'hook', sourceHandle: 'out', target: 'done' }],
    };
    await t.app.inject({ method: 'PUT', url: `/api/journeys/${id}/draft`, headers: t.auth, payload: { graph } });
    await publishJourney(t, id);
    expect((await api('DELETE', '/api/packages/flaky-nodes/1.0.0')).statusCode).toBe(204);

    const retried = await t.app.inject({ method: 'POST', url: `/api/runs/${runId}/retry`, headers: t.auth });
    expect(retried.statusCode, retried.body).toBeLessThan(300);
    await eventually(async () => {
      const { steps } = await runEnds(t.runtime.db, runId, undefined, 20_000);
      const last = steps.filter((s) => s.node_id === 'shout').at(-1);
      return (last?.error as { code?: string } | null)?.code === 'step.package-missing';
    }, 20_000);
  }, 40_000);
});

// Another process's install reaches this one within 5 s (LISTEN/NOTIFY, then the resync);
// unloading a stored version here is an install this process has not yet heard of.
describe('a step of a pinned version another process installed a moment ago', () => {
  test('loads the version and runs, rather than failing with step.package-missing', async () => {
    const late = writePackage({ name: 'late-nodes', prefix: 'late', version: '1.0.0' });
    expect((await installTarball(t, await pack(late))).statusCode).toBe(201);
    const id = await createJourney(t, 'late.shout', { name: 'Late' });
    await publishJourney(t, id);
    t.runtime.packages.unload('late-nodes', '1.0.0');
    const { run, steps } = await runEnds(t.runtime.db, await fire(t, id, 'Di'), undefined, 20_000);
    expect(run.status).toBe('completed');
    expect(steps.find((s) => s.node_id === 'shout')?.output).toEqual({ shouted: 'HELLO DI' });
  }, 40_000);
});
