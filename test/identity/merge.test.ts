import { sql } from 'kysely';
import { describe, expect, test } from 'vitest';
import { lockContact } from '../../engine/contacts/lock.js';
import { createContactsService } from '../../engine/contacts/service.js';
import { addTags } from '../../engine/contacts/tags.js';
import { stepScope } from '../channels/scope.js';
import { chain, identityApp, node } from './support.js';

const { app, call, json, contact, waitingRuns } = identityApp();
const event = (body: object) => json('POST', '/api/events', body);

/** Rows per table that hold `contact_id`, for the given contacts. */
async function rowsPerTable(ids: string[]): Promise<Record<string, number>> {
  const { rows: tables } = await app().runtime.pool.query<{ table_name: string }>(`
    select c.table_name from information_schema.columns c
    join information_schema.tables x on x.table_schema = c.table_schema and x.table_name = c.table_name
    where c.table_schema = 'public' and c.column_name = 'contact_id' and x.table_type = 'BASE TABLE' order by 1`);
  const counts: Record<string, number> = {};
  for (const { table_name } of tables) {
    const { rows } = await app().runtime.pool.query(
      `select count(*)::int as n from "${table_name}" where contact_id = any($1::uuid[])`,
      [ids],
    );
    counts[table_name] = rows[0].n;
  }
  return counts;
}

/** A send as the message service makes one: under the contact's lock, then the message row. */
async function send(contactId: string, to: string) {
  await app()
    .runtime.db.transaction()
    .execute(async (trx) => {
      await lockContact(trx, contactId);
      await sql`select pg_sleep(0.02)`.execute(trx);
      await sql`insert into messages (contact_id, channel, category, "to", status)
      values (${contactId}, 'email', 'marketing', ${to}, 'sent')`.execute(trx);
    });
}

/** signup → lead → wait for a purchase: each contact that signs up gets a run, a lead and a wait. */
async function publishSignupJourney() {
  const graph = {
    nodes: [
      node('t', 'core.event', { event: 'signup' }, 0),
      node('lead', 'crm.create-lead', { title: 'Call {{ contact.email }}', owners: ['sales@example.com'] }, 100),
      node('w', 'core.wait-for-event', { event: 'purchase', timeout: 'P1D' }, 200),
    ],
    edges: [
      { id: 'e1', source: 't', sourceHandle: 'out', target: 'lead' },
      { id: 'e2', source: 'lead', sourceHandle: 'out', target: 'w' },
    ],
  };
  const { id } = await json('POST', '/api/journeys', { name: 'Signups', graph });
  await json('POST', `/api/journeys/${id}/publish`);
  return id as string;
}

describe('merging two contacts', () => {
  test('a webshop customer and a newsletter signup become one contact with every row accounted for', async () => {
    await publishSignupJourney();
    const shop = await contact({
      externalId: 'shop-1',
      attributes: { plan: 'gold', city: 'Turku' },
      timezone: 'Europe/Helsinki',
    });
    const news = await contact({ email: 'ann@example.com', attributes: { plan: 'free', lang: 'fi' } });
    await event({ contactId: shop, name: 'signup' });
    await event({ contactId: news, name: 'signup' });
    await event({ contactId: shop, name: 'order', properties: { total: 40 } });
    await event({ contactId: news, name: 'opened' });
    await waitingRuns(shop, 1);
    await waitingRuns(news, 1);
    await send(news, 'ann@example.com');
    await json('POST', `/api/contacts/${shop}/tags`, { tag: 'vip' });
    await json('POST', `/api/contacts/${news}/tags`, { tag: 'vip' });
    await json('POST', `/api/contacts/${news}/tags`, { tag: 'reader' });
    await json('POST', `/api/contacts/${news}/lists`, { list: 'newsletter' });
    await json('PUT', `/api/contacts/${news}/consent`, { channel: 'email', status: 'unsubscribed', source: 'link' });
    await json('PUT', `/api/contacts/${shop}/consent`, { channel: 'email', status: 'subscribed', source: 'checkout' });

    const before = await rowsPerTable([shop, news]);
    const merged = await json('POST', `/api/contacts/${shop}/merge`, { from: news });
    const after = await rowsPerTable([shop]);

    // Every row of both is the survivor's; the merge added its own event and nothing else.
    expect(after).toEqual({
      ...before,
      events: before.events + 1,
      contact_tags: before.contact_tags - 1,
      segment_members: before.segment_members,
    });
    expect(await rowsPerTable([news])).toEqual(Object.fromEntries(Object.keys(before).map((k) => [k, 0])));
    expect(merged).toMatchObject({
      id: shop,
      externalId: 'shop-1',
      email: 'ann@example.com',
      timezone: 'Europe/Helsinki',
      attributes: { plan: 'gold', city: 'Turku', lang: 'fi' },
      consent: { email: { status: 'unsubscribed', source: 'link' } },
      lists: [expect.objectContaining({ list: 'newsletter' })],
      mergedFrom: [expect.objectContaining({ id: news, email: 'ann@example.com', automatic: false })],
    });
    expect(merged.tags).toEqual([
      expect.objectContaining({ tag: 'reader', count: 1, active: true }),
      expect.objectContaining({ tag: 'vip', count: 2, active: true }),
    ]);
    expect(await waitingRuns(shop, 2)).toHaveLength(2);
    const { events } = await json('GET', `/api/events?contactId=${shop}&name=contact.merged`);
    expect(events.map((e: { properties: object }) => e.properties)).toEqual([{ mergedId: news, automatic: false }]);
  });

  test('the merged-away id answers 301 with its survivor, and its identity and id keep meaning the survivor', async () => {
    const keep = await contact({ externalId: 'crm-7' });
    const gone = await contact({ email: 'bo@example.com', phone: '+358401234567' });
    await json('POST', `/api/contacts/${keep}/merge`, { from: gone });

    const read = await call('GET', `/api/contacts/${gone}`);
    expect(read.statusCode).toBe(301);
    expect(read.headers.location).toBe(`/api/contacts/${keep}`);
    expect(read.json()).toEqual({ mergedInto: keep });
    const exported = await call('GET', `/api/contacts/${gone}/export`);
    expect(exported.statusCode).toBe(301);
    expect(exported.headers.location).toBe(`/api/contacts/${keep}/export`);

    const upsert = await call('POST', '/api/contacts', { email: 'BO@example.com', attributes: { seen: true } });
    expect(upsert.statusCode).toBe(200);
    expect(upsert.json()).toMatchObject({ id: keep, attributes: { seen: true } });
    await event({ contactId: gone, name: 'by-id' });
    await event({ phone: '+358401234567', name: 'by-phone' });
    await json('POST', `/api/contacts/${gone}/tags`, { tag: 'late' });
    const { events } = await json('GET', `/api/events?contactId=${gone}`);
    expect(events.map((e: { name: string; contactId: string }) => [e.name, e.contactId])).toEqual(
      expect.arrayContaining([
        ['by-id', keep],
        ['by-phone', keep],
      ]),
    );
    expect((await json('GET', `/api/contacts/${keep}`)).tags).toEqual([expect.objectContaining({ tag: 'late' })]);
  });

  test('the merged-away contact leaves segments', async () => {
    const keep = await contact({ email: 'seg-keep@example.com', attributes: { segtest: 1 } });
    const gone = await contact({ email: 'seg-gone@example.com', attributes: { segtest: 1 } });
    await json('POST', `/api/contacts/${keep}/merge`, { from: gone });
    const segment = encodeURIComponent(JSON.stringify({ attr: 'segtest', op: 'eq', value: 1 }));
    const found = await json('GET', `/api/contacts?segment=${segment}`);
    expect(found.contacts.map((c: { id: string }) => c.id)).toEqual([keep]);
    expect(found.total).toBe(1);
  });

  test('the contact list without a segment leaves merged-away contacts out of its pages and its total', async () => {
    const keep = await contact({ email: 'list-keep@example.com' });
    const gone = await contact({ email: 'list-gone@example.com' });
    await json('POST', `/api/contacts/${keep}/merge`, { from: gone });
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    let total = -1;
    do {
      const page = await json('GET', `/api/contacts?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.contacts.map((c: { id: string }) => c.id));
      sizes.push(page.contacts.length);
      total = page.total;
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toContain(keep);
    expect(seen).not.toContain(gone);
    expect(total).toBe(seen.length);
    expect(sizes.slice(0, -1).every((n) => n === 3)).toBe(true);
  });

  test('a run of a merged-away contact acts on its survivor, also when it matches a filter', async () => {
    const keep = await contact({ email: 'ctx-keep@example.com', attributes: { tier: 'gold' } });
    const gone = await contact({ email: 'ctx-gone@example.com' });
    await json('POST', `/api/contacts/${keep}/merge`, { from: gone });
    const contacts = createContactsService(await stepScope(app().runtime, { contactId: gone }));
    const filter = { attr: 'tier', op: 'eq' as const, value: 'gold' };
    expect(await contacts.matches(gone, filter, { trigger: {}, steps: {} })).toBe(true);
    expect((await contacts.update(gone, { attributes: { seen: true } })).id).toBe(keep);
  });

  test('bad merges are refused', async () => {
    const a = await contact({ email: 'bad-a@example.com' });
    const b = await contact({ email: 'bad-b@example.com' });
    expect((await call('POST', `/api/contacts/${a}/merge`, {})).statusCode).toBe(400);
    expect((await call('POST', `/api/contacts/${a}/merge`, { from: 'nope' })).statusCode).toBe(400);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await call('POST', `/api/contacts/${a}/merge`, { from: unknown })).statusCode).toBe(404);
    expect((await call('POST', `/api/contacts/${unknown}/merge`, { from: a })).statusCode).toBe(404);
    const self = await call('POST', `/api/contacts/${a}/merge`, { from: a });
    expect([self.statusCode, self.json().error.code]).toEqual([409, 'conflict']);
    await json('POST', `/api/contacts/${a}/merge`, { from: b });
    expect((await call('POST', `/api/contacts/${a}/merge`, { from: b })).statusCode).toBe(409);
    expect((await call('POST', `/api/contacts/${b}/merge`, { from: a })).statusCode).toBe(409);
  });

  test('ids written in upper case name the same contacts: read, merged and unmerged', async () => {
    const keep = await contact({ email: 'upper-keep@example.com' });
    const gone = await contact({ email: 'upper-gone@example.com' });
    expect((await json('GET', `/api/contacts/${keep.toUpperCase()}`)).id).toBe(keep);
    const self = await call('POST', `/api/contacts/${keep}/merge`, { from: keep.toUpperCase() });
    expect([self.statusCode, self.json().error.code]).toEqual([409, 'conflict']);
    const merged = await json('POST', `/api/contacts/${keep.toUpperCase()}/merge`, { from: gone.toUpperCase() });
    expect([merged.id, merged.mergedFrom.map((m: { id: string }) => m.id)]).toEqual([keep, [gone]]);
    const moved = await call('GET', `/api/contacts/${gone.toUpperCase()}`);
    expect([moved.statusCode, moved.headers.location]).toEqual([301, `/api/contacts/${keep}`]);
    const { restored } = await json('POST', `/api/contacts/${keep}/unmerge`, { from: gone.toUpperCase() });
    expect(restored.id).toBe(gone);
  });

  test('a merge racing sends and events keeps every message and event, on the survivor', async () => {
    const keep = await contact({ email: 'race-keep@example.com' });
    const gone = await contact({ email: 'race-gone@example.com' });
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      writes.push(event({ contactId: gone, name: 'race', properties: { i } }));
      writes.push(event({ email: 'race-gone@example.com', name: 'race', properties: { i: 100 + i } }));
      writes.push(send(gone, 'race-gone@example.com'));
      if (i === 3) writes.push(json('POST', `/api/contacts/${keep}/merge`, { from: gone }));
    }
    await Promise.all(writes);
    expect(await rowsPerTable([gone])).toMatchObject({ events: 0, messages: 0 });
    const counts = await rowsPerTable([keep]);
    expect(counts.messages).toBe(10);
    const { events } = await json('GET', `/api/events?contactId=${keep}&name=race&limit=100`);
    expect(events).toHaveLength(20);
  });

  test('list, tag and consent changes racing a merge all end on the survivor', async () => {
    const keep = await contact({ email: 'race-list-keep@example.com' });
    const gone = await contact({ email: 'race-list-gone@example.com' });
    for (let i = 0; i < 10; i++) await json('POST', `/api/contacts/${gone}/tags`, { tag: `t${i}` });
    const writes: Promise<{ statusCode: number }>[] = [];
    for (let i = 0; i < 10; i++) {
      writes.push(call('POST', `/api/contacts/${gone}/lists`, { list: `l${i}` }));
      writes.push(call('DELETE', `/api/contacts/${gone}/tags/t${i}`));
      if (i === 3) writes.push(call('POST', `/api/contacts/${keep}/merge`, { from: gone }));
    }
    writes.push(call('PUT', `/api/contacts/${gone}/consent`, { channel: 'sms', status: 'subscribed', source: 'form' }));
    const answers = await Promise.all(writes);
    expect(answers.map((a) => a.statusCode).filter((s) => s >= 300)).toEqual([]);
    const survivor = await json('GET', `/api/contacts/${keep}`);
    expect(survivor.lists.map((l: { list: string }) => l.list).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `l${i}`).sort(),
    );
    expect(survivor.tags.filter((t: { active: boolean }) => t.active)).toEqual([]);
    expect(survivor.consent.sms.status).toBe('subscribed');
  });

  test('tag additions racing a merge all end on the survivor', async () => {
    const keep = await contact({ email: 'race-tag-keep@example.com' });
    const gone = await contact({ email: 'race-tag-gone@example.com' });
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      writes.push(addTags(app().runtime.db, [{ contactId: gone, tag: `r${i}` }]));
      if (i === 3) writes.push(call('POST', `/api/contacts/${keep}/merge`, { from: gone }));
    }
    await Promise.all(writes);
    const survivor = await json('GET', `/api/contacts/${keep}`);
    expect(survivor.tags.map((t: { tag: string }) => t.tag).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `r${i}`).sort(),
    );
    expect((await rowsPerTable([gone])).contact_tags).toBe(0);
  });

  test('one tag write naming a merged-away contact and its survivor counts both on the survivor', async () => {
    const keep = await contact({ email: 'both-tag-keep@example.com' });
    const gone = await contact({ email: 'both-tag-gone@example.com' });
    await json('POST', `/api/contacts/${keep}/merge`, { from: gone });
    const states = await addTags(app().runtime.db, [
      { contactId: gone, tag: 'both' },
      { contactId: keep, tag: 'both' },
    ]);
    expect(states.map((s) => s.count)).toEqual([2, 2]);
    const survivor = await json('GET', `/api/contacts/${keep}`);
    expect(survivor.tags).toEqual([expect.objectContaining({ tag: 'both', count: 2, active: true })]);
  });

  test('a tag write naming an unknown contact fails whole and writes nothing', async () => {
    const known = await contact({ email: 'tag-known@example.com' });
    const unknown = '01900000-0000-7000-8000-000000000000';
    await expect(
      addTags(app().runtime.db, [
        { contactId: known, tag: 'whole' },
        { contactId: unknown, tag: 'whole' },
      ]),
    ).rejects.toThrow(/foreign key/);
    expect((await json('GET', `/api/contacts/${known}`)).tags).toEqual([]);
  });

  test('concurrent merges of overlapping contacts run one after the other', async () => {
    const ids = await Promise.all([1, 2, 3].map((i) => contact({ email: `chain-${i}@example.com` })));
    const [a, b, c] = ids as [string, string, string];
    const answers = await Promise.all([
      call('POST', `/api/contacts/${a}/merge`, { from: b }),
      call('POST', `/api/contacts/${b}/merge`, { from: c }),
      call('POST', `/api/contacts/${c}/merge`, { from: a }),
    ]);
    const ok = answers.filter((r) => r.statusCode === 200).length;
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(answers.every((r) => r.statusCode === 200 || r.statusCode === 409)).toBe(true);
    const { rows } = await app().runtime.pool.query(
      'select count(*)::int as n from contacts where id = any($1::uuid[]) and merged_into is null',
      [ids],
    );
    expect(rows[0].n).toBe(3 - ok);
  });
});

describe('a merged-away id in previews and test runs', () => {
  const merged = async (tag: string) => {
    const keep = await contact({ email: `${tag}-keep@example.com`, attributes: { first: 'Kim' } });
    const gone = await contact({ email: `${tag}-gone@example.com`, attributes: { first: 'Gus' } });
    await json('POST', `/api/contacts/${keep}/merge`, { from: gone });
    return { keep, gone };
  };

  test('a template preview for it renders its survivor', async () => {
    const { gone } = await merged('preview');
    const draft = { format: 'html', subject: 'Hi {{ contact.attributes.first }}', body: '<p>Hi</p>' };
    const preview = await json('POST', '/api/templates/welcome/preview', { contactId: gone, draft });
    expect(preview.subject).toBe('Hi Kim');
  });

  test('a test run naming it, by id or by its email, walks its survivor', async () => {
    const { gone } = await merged('walk');
    const graph = chain(
      node('hook', 'core.webhook', { secret: 'a-secret-of-16-chars' }, 0),
      node('mail', 'email.send', { from: 'news@example.com', subject: 'Hi', html: '<p>Hi</p>' }, 100),
    );
    const { id } = await json('POST', '/api/journeys', { name: 'Walk', graph });
    const to = async (body: object) => (await json('POST', `/api/journeys/${id}/test`, body)).messages[0]?.to;
    expect(await to({ contact: { id: gone } })).toBe('walk-keep@example.com');
    expect(await to({ trigger: { contactId: gone } })).toBe('walk-keep@example.com');
    expect(await to({ trigger: { email: 'walk-gone@example.com' } })).toBe('walk-keep@example.com');
  });
});
