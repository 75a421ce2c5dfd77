import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestApp } from '../../../support/runtime.js';
import { createJourney, journeysApp, validGraph } from '../support.js';

// An optional precondition on the draft PUT (RFC 9110 ETag / If-Match, server/README.md): a
// client that sends the ETag it last read saves only over that revision of the draft.
let t: TestApp;
beforeAll(async () => {
  t = await journeysApp();
});
afterAll(() => t?.close());

const read = (id: string) => t.app.inject({ url: `/api/journeys/${id}`, headers: t.auth });
const save = (id: string, text: string, ifMatch?: string) =>
  t.app.inject({
    method: 'PUT',
    url: `/api/journeys/${id}/draft`,
    headers: { ...t.auth, ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }) },
    payload: { graph: validGraph(text) },
  });
const draftText = async (id: string) => (await read(id)).json().draft.graph.nodes[1].params.text;

describe('the ETag of a journey answer', () => {
  test('names the draft’s revision on reading, creating and saving, and changes with each save', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: t.auth,
      payload: { name: 'Tagged', graph: validGraph() },
    });
    const id = created.json().id;
    const first = (await read(id)).headers.etag;
    expect(first).toMatch(/^"\d+"$/);
    expect(created.headers.etag).toBe(first);

    const saved = await save(id, 'Second');
    expect(saved.headers.etag).toMatch(/^"\d+"$/);
    expect(saved.headers.etag).not.toBe(first);
    expect((await read(id)).headers.etag).toBe(saved.headers.etag);
  });

  test('stays the same while the draft does: a rename is not a change of the draft', async () => {
    const id = await createJourney(t);
    const before = (await read(id)).headers.etag;
    const renamed = await t.app.inject({
      method: 'PATCH',
      url: `/api/journeys/${id}`,
      headers: t.auth,
      payload: { name: 'Renamed' },
    });
    expect(renamed.headers.etag).toBe(before);
    const resettled = await t.app.inject({
      method: 'PATCH',
      url: `/api/journeys/${id}`,
      headers: t.auth,
      payload: { settings: { reentry: 'once' } },
    });
    expect(resettled.headers.etag).not.toBe(before);
  });
});

describe('PUT /api/journeys/:id/draft with If-Match', () => {
  test('saves when the draft is still the revision named', async () => {
    const id = await createJourney(t);
    const res = await save(id, 'Mine', (await read(id)).headers.etag as string);
    expect(res.statusCode).toBe(200);
    expect(res.json().draft.graph.nodes[1].params.text).toBe('Mine');
  });

  test('of two saves naming the same revision at once, exactly one is saved and the other gets 412', async () => {
    const id = await createJourney(t);
    const etag = (await read(id)).headers.etag as string;
    const [a, b] = await Promise.all([save(id, 'A', etag), save(id, 'B', etag)]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 412]);
    const [winner, loser] = a.statusCode === 200 ? [a, b] : [b, a];
    expect(loser.json().error).toMatchObject({ code: 'precondition_failed' });
    expect(await draftText(id)).toBe(winner.json().draft.graph.nodes[1].params.text);
    expect((await read(id)).headers.etag).toBe(winner.headers.etag);
  });

  test('a stale revision gets 412 precondition_failed and changes nothing', async () => {
    const id = await createJourney(t);
    const stale = (await read(id)).headers.etag as string;
    const theirs = await save(id, 'Theirs');
    const res = await save(id, 'Mine', stale);
    expect(res.statusCode).toBe(412);
    expect(res.json()).toEqual({
      error: {
        code: 'precondition_failed',
        message: expect.stringContaining('changed since the revision named'),
      },
    });
    expect(await draftText(id)).toBe('Theirs');
    expect((await read(id)).headers.etag).toBe(theirs.headers.etag);
  });

  test('a list of tags saves when one of them is current', async () => {
    const id = await createJourney(t);
    const etag = (await read(id)).headers.etag as string;
    expect((await save(id, 'Listed', `"999999", ${etag}`)).statusCode).toBe(200);
  });

  test('a weak tag never matches (If-Match compares strongly), nor one this server never sent', async () => {
    const id = await createJourney(t);
    const etag = (await read(id)).headers.etag as string;
    expect((await save(id, 'Weak', `W/${etag}`)).statusCode).toBe(412);
    expect((await save(id, 'Foreign', '"abc"')).statusCode).toBe(412);
    expect(await draftText(id)).toBe('Hello {{ contact.email }}');
  });

  test('* saves whatever the revision, as a journey always has a draft', async () => {
    const id = await createJourney(t);
    await save(id, 'Theirs');
    const res = await save(id, 'Any', '*');
    expect(res.statusCode).toBe(200);
    expect(await draftText(id)).toBe('Any');
  });

  test('an unknown journey is still 404, whatever If-Match says', async () => {
    const res = await save('00000000-0000-4000-8000-000000000000', 'None', '"1"');
    expect(res.statusCode).toBe(404);
  });

  test('an archived journey is still 409, whatever If-Match says', async () => {
    const id = await createJourney(t);
    const etag = (await read(id)).headers.etag as string;
    await t.app.inject({ method: 'DELETE', url: `/api/journeys/${id}`, headers: t.auth });
    const res = await save(id, 'Late', etag);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('conflict');
  });

  test('a header that is no list of entity tags is 400 naming it', async () => {
    const id = await createJourney(t);
    const res = await save(id, 'Bare', '3');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'validation_failed',
      details: [{ message: expect.stringContaining('headers/if-match must be * or a list of quoted entity tags') }],
    });
    expect(await draftText(id)).toBe('Hello {{ contact.email }}');
  });
});

describe('PUT /api/journeys/:id/draft without If-Match', () => {
  test('saves over any revision, last one wins, as before', async () => {
    const id = await createJourney(t);
    await save(id, 'Theirs');
    const res = await save(id, 'Mine');
    expect(res.statusCode).toBe(200);
    expect(res.json().draft.graph.nodes[1].params.text).toBe('Mine');
    expect(await draftText(id)).toBe('Mine');
  });
});
