import { describe, expect, test } from 'vitest';
import { identityApp } from './support.js';

const { call, json, contact } = identityApp();

/** The contact an id names now: itself, or the survivor its merges ended in. */
async function survivorOf(id: string): Promise<string> {
  const res = await call('GET', `/api/contacts/${id}`);
  return res.statusCode === 301 ? res.json().mergedInto : id;
}

describe('calls racing merges of the same contacts', () => {
  // contract identity.md: "upserts and merges racing a merge on either contact end on the
  // survivor"; a merge's ":id itself merged away" is 409. Ten rounds at once, each meeting
  // the merges in another order: before, some merge answered 500 (or the upsert 404) in
  // every run, its contact merged away between its commit and its answer.
  test('an upsert answers with the survivor and a merge never 500s after its commit', async () => {
    const round = async (round: number) => {
      const [a, b, c] = await Promise.all(['ra', 'rb', 'rc'].map((p) => contact({ email: `${p}${round}@r.com` })));
      const answers = await Promise.all([
        call('POST', `/api/contacts/${a}/merge`, { from: b }),
        call('POST', `/api/contacts/${b}/merge`, { from: a }),
        call('POST', `/api/contacts/${c}/merge`, { from: a }),
        call('POST', '/api/events', { contactId: b, name: 'race' }),
        call('POST', `/api/contacts/${b}/tags`, { tag: 'racetag' }),
        call('POST', '/api/contacts', { email: `rb${round}@r.com`, attributes: { late: 1 } }),
      ]);
      const merges = answers.slice(0, 3);
      const upsert = answers[5];
      const statuses = merges.map((m) => (m.statusCode === 200 ? 200 : `${m.statusCode} ${m.json().error.code}`));
      expect(statuses.filter((s) => s !== 200 && s !== '409 conflict')).toEqual([]);
      expect([upsert?.statusCode, upsert?.body.slice(0, 120)]).toEqual([200, expect.any(String)]);

      // The upsert's contact (or the one it was merged into since) is where B's email ended,
      // holding the write.
      const survivor = await json('GET', `/api/contacts/${await survivorOf(b)}`);
      expect(await survivorOf(upsert?.json().id)).toBe(survivor.id);
      expect(survivor.attributes.late).toBe(1);
      // A merge answers the contact as merged, or its survivor when a merge took it since.
      for (const [i, m] of merges.entries()) {
        if (m.statusCode !== 200) continue;
        expect(await survivorOf(m.json().id)).toBe(await survivorOf([a, b, c][i] as string));
      }
    };
    await Promise.all(Array.from({ length: 10 }, (_, i) => round(i)));
  });
});
