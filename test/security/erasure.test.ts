import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMessagesService } from '../../engine/messages/service.js';
import { startRun } from '../../engine/runs/entry/start.js';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { stepScope } from '../channels/scope.js';
import { type SmtpSink, startSmtpSink } from '../channels/smtp-sink.js';
import { e, n, publish } from '../engine/support.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

// What erasing one person may not do: leave any of that person's rows behind, touch anyone
// else's rows (or journeys, versions, settings, credentials) that mention the same address,
// let a send in flight store or deliver a message after the 204, or time out on a long history.

const STATEMENT_TIMEOUT = '3s';
let database: TestDatabase;
let t: TestApp;
let worker: WorkerHandle;
let smtp: SmtpSink;

beforeAll(async () => {
  smtp = await startSmtpSink();
  database = await createTestDatabase();
  // Every statement of the server runs under a statement timeout, as a production database's would.
  const name = new URL(database.url).pathname.slice(1);
  await database.pool.query(`alter database ${name} set statement_timeout = '${STATEMENT_TIMEOUT}'`);
  t = await createTestApp({ SMTP_URL: smtp.url, PUBLIC_URL: 'https://w.example.com' }, { database });
  worker = await startWorker(t.runtime, { pollInterval: 200 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
  await database?.drop();
  await smtp?.close();
});

const q = async <T = Record<string, unknown>>(text: string, values: unknown[] = []) =>
  (await t.runtime.pool.query(text, values)).rows as T[];

async function createContact(payload: object): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/contacts', headers: t.auth, payload });
  expect(res.statusCode).toBe(201);
  return res.json().id;
}

const erase = (id: string) => t.app.inject({ method: 'DELETE', url: `/api/contacts/${id}`, headers: t.auth });

/** Every row of every public table, as JSON, that holds `text` anywhere (case-insensitively). */
async function rowsMentioning(text: string): Promise<Record<string, unknown[]>> {
  const tables = await q<{ table_name: string }>(
    "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'",
  );
  const hits: Record<string, unknown[]> = {};
  for (const { table_name } of tables) {
    const rows = await q<{ row: unknown }>(
      `select to_jsonb(x) as row from "${table_name}" x where strpos(lower(to_jsonb(x)::text), lower($1)) > 0 order by 1::text`,
      [text],
    );
    if (rows.length) hits[table_name] = rows.map((r) => r.row);
  }
  return hits;
}

describe('erasing a contact', () => {
  test('deletes every row of the person and no row of anyone or anything else', async () => {
    const email = 'erase.me@example.com';
    const id = await createContact({
      email: 'Erase.Me@Example.com',
      phone: '+358401112233',
      externalId: 'ext-erase-1',
      attributes: { plan: 'pro' },
    });
    const other = await createContact({ email: 'friend@example.com' });

    // The person's own rows.
    await t.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: t.auth,
      payload: { contactId: id, name: 'signup', properties: { ref: 'ERASE.ME@example.com' } },
    });
    await t.app.inject({ method: 'POST', url: `/api/contacts/${id}/tags`, headers: t.auth, payload: { tag: 'vip' } });
    await t.app.inject({
      method: 'POST',
      url: `/api/contacts/${id}/lists`,
      headers: t.auth,
      payload: { list: 'news' },
    });
    const mail = { channel: 'email', category: 'transactional', subject: 'Hi', html: '<p>Hi</p>', text: 'Hi' } as const;
    await createMessagesService(await stepScope(t.runtime, { contactId: id })).send(mail);
    await q(
      `insert into leads (title, contact_id, owner) values ('Call erase.me@example.com', $1, 'sales@example.com')`,
      [id],
    );
    await q(`insert into email_suppressions (address, contact_id) values ($1, $2), ('ERASE.ME@EXAMPLE.COM', null)`, [
      email,
      id,
    ]);

    // A journey whose params hold the address, with a run of the person parked in a wait.
    const journey = await publish(t.runtime.db, {
      nodes: [
        n('hook', 'core.webhook', { secret: 'a-webhook-secret-0123456789' }),
        n('cond', 'core.condition', { filter: { attr: 'email', op: 'eq', value: email } }),
        n('wait', 'core.wait-for-event', { event: 'never.happens', timeout: 'P30D' }),
      ],
      edges: [e('hook', 'cond'), e('cond', 'wait', 'yes')],
    });
    const started = await t.runtime.db
      .transaction()
      .execute((trx) =>
        startRun(trx, { ...journey, triggerNodeId: 'hook', contactId: id, trigger: { email: 'Erase.Me@example.com' } }),
      );
    const runId = started?.runId as string;
    await expect.poll(async () => (await q('select 1 from waits where run_id = $1', [runId])).length).toBe(1);
    const stepIds = (await q<{ id: string }>('select id::text from steps where run_id = $1', [runId])).map((s) => s.id);
    const jobsOfRun = () =>
      q(
        `select 1 from graphile_worker._private_jobs j, jsonb_array_elements(j.payload::jsonb) e
         where jsonb_typeof(j.payload::jsonb) = 'array' and e->>'stepId' = any($1::text[])`,
        [stepIds],
      );
    expect((await jobsOfRun()).length).toBeGreaterThan(0); // the wait's timeout, queued for later

    // Other people's rows, and configuration, that mention the same address.
    await t.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: t.auth,
      payload: { contactId: other, name: 'referred', properties: { friend: 'ERASE.ME@example.com' } },
    });
    await createMessagesService(await stepScope(t.runtime, { contactId: other })).send({
      ...mail,
      subject: 'Your friend Erase.Me@example.com joined',
    });
    await q(`insert into leads (title, contact_id, owner) values ('Referred by erase.me@example.com', $1, 'x@y.z')`, [
      other,
    ]);
    await q(`insert into email_suppressions (address, contact_id) values ('friend@example.com', $1)`, [other]);
    await q(
      `insert into settings (workspace_id, key, value) values ((select id from workspaces where is_default), 'test.note', '{"vip": "erase.me@example.com"}')`,
    );
    const credential = await t.app.inject({
      method: 'POST',
      url: '/api/credentials',
      headers: t.auth,
      payload: {
        name: 'Gateway of erase.me@example.com',
        type: 'sms.http-gateway',
        data: { url: 'https://sms.example.com' },
      },
    });

    expect(credential.statusCode).toBe(201);
    const before = await rowsMentioning(email);
    const untouched = ['journeys', 'journey_versions', 'settings', 'credentials'];
    const theirs = ['events', 'messages', 'leads'];
    const expected = {
      ...Object.fromEntries(untouched.map((table) => [table, before[table]])),
      ...Object.fromEntries(
        theirs.map((table) => [
          table,
          before[table]?.filter((r) => (r as { contact_id: string }).contact_id === other),
        ]),
      ),
    };
    for (const rows of Object.values(expected)) expect(rows?.length).toBeGreaterThan(0);
    const othersBefore = await q('select to_jsonb(x) as row from email_suppressions x where contact_id = $1', [other]);

    const res = await erase(id);
    expect(res.statusCode).toBe(204);

    // Nothing of the person is left, by id ...
    for (const { table_name } of await q<{ table_name: string }>(
      "select table_name from information_schema.columns where table_schema = 'public' and column_name = 'contact_id'",
    )) {
      expect(await q(`select 1 from "${table_name}" where contact_id = $1`, [id]), table_name).toEqual([]);
    }
    expect(await q('select 1 from runs where id = $1', [runId])).toEqual([]);
    expect(await q('select 1 from steps where run_id = $1', [runId])).toEqual([]);
    expect(await jobsOfRun()).toEqual([]);
    expect(await q('select 1 from contacts where id = $1', [id])).toEqual([]);
    // ... nor by any identifier, in any case; the erasure record holds hashes only.
    for (const identifier of ['+358401112233', 'ext-erase-1']) expect(await rowsMentioning(identifier)).toEqual({});
    const after = await rowsMentioning(email);
    // What still mentions the address is exactly what was someone else's or configuration, unchanged.
    expect(after).toEqual(expected);
    expect(await q('select to_jsonb(x) as row from email_suppressions x where contact_id = $1', [other])).toEqual(
      othersBefore,
    );
    const friend = await t.app.inject({ method: 'GET', url: `/api/contacts/${other}`, headers: t.auth });
    expect(friend.json().email).toBe('friend@example.com');
    expect(await q('select 1 from erasures')).toHaveLength(1);
  });

  test('finishes on 100 000 events of one contact within the statement timeout', async () => {
    const id = await createContact({ email: 'long.history@example.com' });
    const client = await t.runtime.pool.connect();
    try {
      await client.query('begin');
      await client.query('set local statement_timeout = 0'); // the fixture alone may take its time
      await client.query(
        `insert into events (contact_id, name, properties, timestamp)
        select $1, 'page.viewed', jsonb_build_object('n', i, 'who', 'long.history@example.com'),
          now() - i * interval '1 second'
        from generate_series(1, 100000) i`,
        [id],
      );
      await client.query('commit');
    } finally {
      client.release();
    }
    expect((await q<{ n: number }>('select count(*)::int as n from events where contact_id = $1', [id]))[0]?.n).toBe(
      100_000,
    );
    const { statement_timeout } = (await q<{ statement_timeout: string }>('show statement_timeout'))[0] ?? {};
    expect(statement_timeout).toBe(STATEMENT_TIMEOUT);

    const res = await erase(id);
    expect(res.statusCode).toBe(204);
    expect((await q<{ n: number }>('select count(*)::int as n from events where contact_id = $1', [id]))[0]?.n).toBe(0);
    expect(await q('select 1 from contacts where id = $1', [id])).toEqual([]);
  });

  test('drops the idempotency keys of its webhook calls: a key may hold the address, and a repeat is a new call', async () => {
    const journey = await publish(t.runtime.db, {
      nodes: [n('hook', 'core.webhook', { secret: 'a-webhook-secret-0123456789' }), n('end', 'core.exit')],
      edges: [e('hook', 'end')],
    });
    const call = () =>
      t.app.inject({
        method: 'POST',
        url: `/hooks/${journey.journeyId}/hook`,
        headers: { 'x-waymark-secret': 'a-webhook-secret-0123456789', 'idempotency-key': 'order-keyed.me@example.com' },
        payload: { email: 'keyed.me@example.com' },
      });
    const first = await call();
    expect(first.statusCode, first.body).toBe(202);
    const run = await t.app.inject({ method: 'GET', url: `/api/runs/${first.json().runId}`, headers: t.auth });
    expect((await erase(run.json().contactId)).statusCode).toBe(204);
    expect(await rowsMentioning('keyed.me@example.com')).toEqual({});
    const again = await call();
    expect(again.statusCode).toBe(202);
    expect(again.json().runId).not.toBe(first.json().runId);
  });

  test('an unknown contact is 404 and nothing is erased', async () => {
    const erasures = (await q('select 1 from erasures')).length;
    expect((await erase('00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    expect(await q('select 1 from erasures')).toHaveLength(erasures);
  });
});

/** A real SMTP server that holds each mail's DATA until `release()`: a delivery in flight. */
async function startHeldSmtp() {
  const arrived: Date[] = [];
  const accepted: Date[] = [];
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let onArrival: () => void = () => {};
  const arrival = new Promise<void>((r) => {
    onArrival = r;
  });
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => {
        arrived.push(new Date());
        onArrival();
        gate.then(() => {
          accepted.push(new Date());
          callback();
        });
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    arrived,
    accepted,
    arrival,
    release: () => release(),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('a send racing an erase', () => {
  const mail = { channel: 'email', category: 'marketing', subject: 'Sale', html: '<p>Sale</p>', text: 'Sale' } as const;

  test('a delivery in flight finishes before the 204; nothing of it is stored after', async () => {
    const held = await startHeldSmtp();
    const app = await createTestApp({ SMTP_URL: held.url }, { database });
    try {
      const id = await createContact({ email: 'in.flight@example.com' });
      const sending = createMessagesService(await stepScope(app.runtime, { contactId: id })).send(mail);
      await held.arrival; // the SMTP server has the whole message and has not answered yet
      let answeredAt: Date | null = null;
      const erasing = erase(id).then((r) => {
        answeredAt = new Date();
        return r;
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(answeredAt).toBeNull(); // the erase waits for the contact's lock
      held.release();
      expect((await sending).status).toBe('sent');
      expect((await erasing).statusCode).toBe(204);
      expect(held.accepted).toHaveLength(1);
      expect((held.accepted[0] as Date).getTime()).toBeLessThanOrEqual((answeredAt as unknown as Date).getTime());
      expect(await q('select 1 from messages where contact_id = $1', [id])).toEqual([]);
      await new Promise((r) => setTimeout(r, 300));
      expect(held.arrived).toHaveLength(1);
    } finally {
      await app.close();
      await held.close();
    }
  });

  test('a send that reaches the lock after the erase stores and delivers nothing', async () => {
    const id = await createContact({ email: 'too.late@example.com' });
    const mailsBefore = smtp.mails.length;
    const waiting = async () =>
      (
        await q<{ n: number }>(
          `select count(*)::int as n from pg_locks l join pg_database d on d.oid = l.database
          where d.datname = current_database() and l.locktype = 'advisory' and not l.granted`,
        )
      )[0]?.n;
    // The test holds the contact's lock, as a send in progress would; the erase queues first,
    // then a send that has already read the contact.
    const holder = await t.runtime.pool.connect();
    let erasing: ReturnType<typeof erase> | undefined;
    let sending: Promise<unknown> | undefined;
    try {
      await holder.query('begin');
      await holder.query('select pg_advisory_xact_lock(hashtext($1))', [id]);
      erasing = erase(id);
      await expect.poll(waiting).toBe(1);
      sending = createMessagesService(await stepScope(t.runtime, { contactId: id }))
        .send(mail)
        .then(
          () => 'sent',
          (error: Error) => error.message,
        );
      await expect.poll(waiting).toBe(2);
    } finally {
      await holder.query('commit');
      holder.release();
    }
    expect((await erasing)?.statusCode).toBe(204);
    expect(await sending).toMatch(/erased/);
    expect(await q('select 1 from messages where contact_id = $1', [id])).toEqual([]);
    expect(await q('select 1 from messages where "to" = \'too.late@example.com\'')).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.mails.length).toBe(mailsBefore);
  });
});
