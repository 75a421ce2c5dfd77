import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { draft, e, hook, n, postTest } from '../../test-runs/support.js';
import { installTarball } from '../journeys.js';
import { pack, writePackage } from '../support.js';

// A draft is judged once, the same way, whether it is validated, test-run or published:
// a test run of the draft runs what a publish would pin (contract packages.md).
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
}, 60_000);
afterAll(() => t?.close());

const NAME = '@acme/waymark-nodes';
const call = (method: 'POST', url: string) => t.app.inject({ method, url, headers: t.auth });

describe('a draft using node versions that no single installed package version defines together', () => {
  let journeyId: string;
  beforeAll(async () => {
    for (const [version, nodeVersion] of [
      ['1.0.0', 1],
      ['2.0.0', 2],
    ] as const) {
      const res = await installTarball(t, await pack(writePackage({ name: NAME, version, nodeVersion })));
      expect(res.statusCode, res.body).toBe(201);
    }
    journeyId = await draft(t, {
      nodes: [
        hook(),
        { ...n('old', 'acme.shout', { text: 'one' }), version: 1 },
        { ...n('new', 'acme.shout', { text: 'two' }), version: 2 },
      ],
      edges: [e('hook', 'old'), e('old', 'new')],
    });
  });

  test('does not validate, naming on each node the type@version the newest version defining it lacks', async () => {
    const res = await call('POST', `/api/journeys/${journeyId}/validate`);
    expect(res.statusCode).toBe(200);
    const why = 'no single installed version of its package defines every node of it used here';
    expect(res.json()).toEqual({
      valid: false,
      errors: [
        { nodeId: 'old', message: `${why}: ${NAME}@1.0.0, the newest that defines acme.shout@1, lacks acme.shout@2` },
        { nodeId: 'new', message: `${why}: ${NAME}@2.0.0, the newest that defines acme.shout@2, lacks acme.shout@1` },
      ],
    });
  });

  test('a type@version no installed version defines is named on its own node only', async () => {
    const id = await draft(t, {
      nodes: [
        hook(),
        { ...n('ghost', 'acme.shout', { text: 'one' }), version: 7 },
        { ...n('new', 'acme.shout', { text: 'two' }), version: 2 },
      ],
      edges: [e('hook', 'ghost'), e('ghost', 'new')],
    });
    const res = await call('POST', `/api/journeys/${id}/validate`);
    expect(res.json()).toEqual({
      valid: false,
      errors: [{ nodeId: 'ghost', message: 'node type "acme.shout" has no version 7 (the newest is 2)' }],
    });
  });

  test('is refused by a test run with 422 and the errors publishing gives', async () => {
    const tested = await postTest(t, journeyId, {});
    expect(tested.statusCode, tested.body).toBe(422);
    const published = await call('POST', `/api/journeys/${journeyId}/publish`);
    expect(published.statusCode).toBe(422);
    expect(tested.json().error).toEqual(published.json().error);
  });
});

// Another process's removal reaches this one within 5 s (LISTEN/NOTIFY, then the resync);
// deleting the row here, with no notice, is a removal this process has not yet heard of.
describe('a publish meeting a version another process removed a moment ago', () => {
  const RACE = 'race-nodes';
  const removedElsewhere = (version: string) =>
    sql`delete from node_packages where name = ${RACE} and version = ${version}`.execute(t.runtime.db);
  const raceDraft = () =>
    draft(t, { nodes: [hook(), n('shout', 'race.shout', { text: 'hi' })], edges: [e('hook', 'shout')] });

  beforeAll(async () => {
    for (const version of ['1.0.0', '1.1.0']) {
      const res = await installTarball(t, await pack(writePackage({ name: RACE, prefix: 'race', version })));
      expect(res.statusCode, res.body).toBe(201);
    }
  });

  test('pins the highest version still installed instead of refusing the draft', async () => {
    const journeyId = await raceDraft();
    await removedElsewhere('1.1.0');
    const published = await call('POST', `/api/journeys/${journeyId}/publish`);
    expect(published.statusCode, published.body).toBe(201);
    const version = await t.app.inject({
      method: 'GET',
      url: `/api/journeys/${journeyId}/versions/1`,
      headers: t.auth,
    });
    expect(version.json().packages).toEqual({ [RACE]: '1.0.0' });
  });

  test('with no version left, is refused naming the node', async () => {
    const journeyId = await raceDraft();
    await removedElsewhere('1.1.0');
    await removedElsewhere('1.0.0');
    const published = await call('POST', `/api/journeys/${journeyId}/publish`);
    expect(published.statusCode).toBe(422);
    expect(published.json().error).toMatchObject({ code: 'invalid_graph', details: [{ nodeId: 'shout' }] });
  });
});
