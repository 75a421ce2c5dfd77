import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, test } from 'vitest';
import { e, eventually, n } from '../engine/support.js';
import { openLiveFeed } from '../support/live-client.js';
import { aObjectFor, expectedAcross } from '../teams/route-table.js';
import { makeUser, signIn } from '../teams/support.js';
import { type Auth, type Call, form, hookOfA, SECRET, template, useTwoWorkspaces } from '../teams/two-workspaces.js';
import { callOnA, documentedOperations, idsOfA, moreOfA, type Operation, snapshotOfA } from './workspace-walk.js';

// contracts/teams.md "Workspaces": an id of another workspace answers 404 on every route,
// exactly as an unknown id; nothing of it is read, changed or shown. Workspace B attacks A with
// every route of the OpenAPI document, as each kind of principal B can have.
const w = useTwoWorkspaces();
let operations: Operation[];
let before: Record<string, string>;
const attackers: Record<string, Auth> = {};
let aOnly: string | undefined;

beforeAll(async () => {
  operations = await documentedOperations(w);
  await makeUser(w.t.runtime.db, 'b-admin@example.com', w.B, 'admin');
  aOnly = await makeUser(w.t.runtime.db, 'a-only@example.com', w.A, 'editor');
  await w.ok({ method: 'PUT', url: '/api/snippets/a-secret', payload: { body: 'A secret' } }, w.aAuth);
  // Admin of B, only a viewer of A.
  const boss = await makeUser(w.t.runtime.db, 'b-boss@example.com', w.B, 'admin');
  await w.t.runtime.db.insertInto('memberships').values({ workspace_id: w.A, user_id: boss, role: 'viewer' }).execute();
  attackers['B’s token'] = w.bAuth;
  attackers['B’s admin (a member of B only)'] = (await signIn(w.t.app, 'b-admin@example.com')).headers;
  // The owner of both, working in B: the header names B, the ids A's objects.
  attackers['a member of both, in B'] = {
    ...(await signIn(w.t.app, 'owner@example.com')).headers,
    'x-waymark-workspace': w.B,
  };
  // A's run has ended, so A's snapshot holds still unless something changes it.
  await eventually(async () => {
    const run = await w.ok<{ status: string }>({ method: 'GET', url: `/api/runs/${w.a.run}` }, w.aAuth);
    return run.status !== 'running' && run.status !== 'waiting';
  });
  await moreOfA(w);
  before = await snapshotOfA(w, operations);
}, 60_000);

/** Routes the walk leaves out: public ones, sign-out (ends only the attacker's session), the live feed (a socket, workspaces-engine.test.ts). */
const walked = () =>
  operations.filter(
    (op) =>
      op.permission !== 'public' &&
      !(op.method === 'POST' && op.path === '/api/auth/sign-out') &&
      op.path !== '/api/live' &&
      op.path.startsWith('/api/'),
  );

/** Whether the answer is B's own object of a name A uses too (B's snippet `a-footer`, tag lifespan `vip`). */
const ownName = (op: Operation) => expectedAcross(op.method, op.path) < 300;

/** No id of A in the answer but those the call itself sent (an error may name what it did not find). */
function expectNothingOfA(res: { statusCode: number; body: string }, where: string, sent?: Call) {
  const named = sent ? sent.url + JSON.stringify(sent.payload ?? null) : '';
  for (const id of idsOfA(w))
    if (!named.includes(id)) expect(res.body.includes(id), `${where} shows A’s ${id}`).toBe(false);
}

/** What people named A's objects: B's lists, totals and searches hold none of them. */
const NAMES_OF_A = [
  'same@example.com',
  'A journey',
  'vip',
  'newsletter',
  'a-welcome',
  'a-footer',
  'a-secret',
  'aOrders',
  'a-signup',
  'a-mail.example.com',
  'visited',
  'A lead',
  'new@example.com',
  'a-only@example.com',
];

test('B’s lists, totals and searches show nothing of A (before B names anything of A’s)', async () => {
  const lists = walked().filter(
    (op) =>
      op.method === 'GET' &&
      op.params.length === 0 &&
      // The catalogue is the installation's; a member of both sees A's name among its workspaces.
      !/^\/api\/(nodes|packages|journey-templates|auth\/me|workspaces)(\/|$)/.test(op.path),
  );
  const segment = encodeURIComponent(JSON.stringify({ tag: 'vip', op: 'has' }));
  for (const as of Object.values(attackers))
    for (const url of [...lists.map((op) => op.path), `/api/contacts?segment=${segment}`, '/api/runs?q=same']) {
      const res = await w.call({ method: 'GET', url }, as);
      expect(res.statusCode, url).toBe(200);
      for (const name of NAMES_OF_A)
        expect(res.body.includes(name), `${url} shows A’s ${name}: ${res.body}`).toBe(false);
      expectNothingOfA(res, url);
    }
});

describe('workspace B names A’s objects on every documented route', () => {
  for (const attacker of ['B’s token', 'B’s admin (a member of B only)', 'a member of both, in B']) {
    test(`as ${attacker}: 404 for each of A’s ids, and no answer holds one`, async () => {
      const as = attackers[attacker] as Auth;
      for (const op of walked().filter((op) => !ownName(op))) {
        const inWorkspacePath = op.path.startsWith('/api/workspaces/{id}');
        // A member of A acts on A when the path names A (teams.md): not an attack.
        if (inWorkspacePath && attacker === 'a member of both, in B') continue;
        const call = callOnA(w, op);
        const res = await w.call(call, as);
        const where = `${attacker}: ${op.method} ${call.url} → ${res.statusCode} ${res.body.slice(0, 200)}`;
        // HEAD (fastify answers it on every GET route) tells no more than GET.
        if (op.method === 'GET')
          expect((await w.call({ method: 'HEAD', url: call.url }, as)).statusCode, `HEAD: ${where}`).toBe(
            res.statusCode,
          );
        if (inWorkspacePath || op.params.length > 0) {
          expect(res.statusCode, where).toBe(inWorkspacePath ? 404 : expectedAcross(op.method, op.path));
          if (res.statusCode === 404) {
            expect(res.json().error.code, where).toBe('not_found');
            // Exactly as an unknown id: the same words, but for the id named.
            const unknown: Record<string, string> = {};
            const other = await w.call(callOnA(w, op, unknown), as);
            const named = (body: string, values: string[]) =>
              op.params.reduce((b, p, i) => b.replaceAll(values[i] as string, `<${p}>`), body);
            expect(
              named(
                res.body,
                op.params.map((p) => aObjectFor(w.a, w.A, op.path, p)),
              ),
              `${where}: as for an unknown id`,
            ).toBe(
              named(
                other.body,
                op.params.map((p) => unknown[p] ?? aObjectFor(w.a, w.A, op.path, p)),
              ),
            );
          }
        } else if (op.permission === 'user') {
          // A token is no user; a user's own routes refuse the walk's empty body.
          expect(res.statusCode, where).toBe(attacker === 'B’s token' ? 403 : 400);
        } else {
          expect(res.statusCode, where).toBeLessThan(300);
        }
        expectNothingOfA(res, where, call);
      }
    });
  }
});

test('names people choose are per workspace: B writing A’s names makes B’s own', async () => {
  for (const as of Object.values(attackers))
    for (const op of walked().filter(ownName)) {
      const call = callOnA(w, op);
      const res = await w.call(call, as);
      expect(res.statusCode, `${op.method} ${call.url} → ${res.body.slice(0, 200)}`).toBeLessThan(300);
      expectNothingOfA(res, `${op.method} ${call.url}`);
    }
  // B's `a-welcome` is B's: its content, not A's. B removes it, so the tests below name A's
  // template to a B that holds none of that name.
  const own = await w.ok<{ subject: string }>({ method: 'GET', url: '/api/templates/a-welcome' }, w.bAuth);
  expect(own.subject).toBe('taken over');
  expect((await w.call({ method: 'DELETE', url: '/api/templates/a-welcome' }, w.bAuth)).statusCode).toBe(204);
});

/**
 * B's answer when it names A's object in a body or query, and when it names an unknown id
 * instead: equal, but for the id itself. `id` is the placeholder in `make`.
 */
async function sameAsUnknown(as: Auth, make: (id: string) => Call, aId: string, unknown: string = randomUUID()) {
  const answer = async (id: string) => {
    const c = make(id);
    const res = await w.call(c, as);
    expectNothingOfA(res, `${c.method} ${c.url}`, c);
    const error = res.statusCode >= 400 ? res.json().error : undefined;
    return {
      status: res.statusCode,
      code: error?.code,
      message: String(error?.message ?? '').replaceAll(id, '<id>'),
      details: JSON.stringify(error?.details ?? null).replaceAll(id, '<id>'),
    };
  };
  expect(
    await answer(aId),
    `${make('<id>').method} ${make('<id>').url} ${JSON.stringify(make('<id>').payload)}`,
  ).toEqual(await answer(unknown));
}

describe('ids of A in bodies and queries', () => {
  let bContact: string;
  let bJourney: string;
  beforeAll(async () => {
    bContact = (
      await w.ok<{ id: string }>({ method: 'POST', url: '/api/contacts', payload: { email: 'b@example.com' } }, w.bAuth)
    ).id;
    bJourney = (
      await w.ok<{ id: string }>({ method: 'POST', url: '/api/journeys', payload: { name: 'B probe' } }, w.bAuth)
    ).id;
    await w.ok({ method: 'PUT', url: '/api/templates/b-welcome', payload: template }, w.bAuth);
  });

  for (const attacker of ['B’s token', 'B’s admin (a member of B only)', 'a member of both, in B']) {
    test(`as ${attacker}: a contact of A is unknown wherever a body names one`, async () => {
      const as = attackers[attacker] as Auth;
      const calls: ((id: string) => Call)[] = [
        (id) => ({ method: 'POST', url: '/api/events', payload: { contactId: id, name: 'probe' } }),
        (id) => ({ method: 'POST', url: '/api/templates/b-welcome/preview', payload: { contactId: id } }),
        (id) => ({
          method: 'POST',
          url: '/api/templates/b-welcome/send-test',
          payload: { to: 'qa@example.com', from: 'b@example.com', contactId: id },
        }),
        (id) => ({ method: 'POST', url: `/api/journeys/${bJourney}/test`, payload: { contact: { id } } }),
        (id) => ({ method: 'POST', url: `/api/contacts/${bContact}/merge`, payload: { from: id } }),
        (id) => ({ method: 'POST', url: `/api/contacts/${bContact}/unmerge`, payload: { from: id } }),
      ];
      for (const make of calls) await sameAsUnknown(as, make, w.a.contact as string);
    });
  }

  test('a token for A’s workspace is refused as one for an unknown workspace', async () => {
    for (const as of [attackers['B’s token'], attackers['B’s admin (a member of B only)']] as Auth[])
      await sameAsUnknown(
        as,
        (id) => ({ method: 'POST', url: '/api/tokens', payload: { name: 'spy', scopes: ['admin'], workspaceId: id } }),
        w.A,
      );
  });

  test('a journey of B naming A’s credential or template finds neither', async () => {
    const withNode = (params: Record<string, unknown>): Call => ({
      method: 'PUT',
      url: `/api/journeys/${bJourney}/draft`,
      payload: {
        graph: {
          nodes: [
            n('hook', 'core.webhook', { secret: SECRET }),
            n('mail', 'email.send', { from: 'b@example.com', category: 'transactional', ...params }),
          ],
          edges: [e('hook', 'mail')],
        },
      },
    });
    // Validating, test-running and publishing the draft: each answers as for an unknown one.
    const answers = async (params: Record<string, unknown>, id: string) => {
      await w.ok(withNode(params), w.bAuth);
      const out = [];
      for (const action of ['validate', 'test', 'publish']) {
        const res = await w.call({ method: 'POST', url: `/api/journeys/${bJourney}/${action}`, payload: {} }, w.bAuth);
        expectNothingOfA(res, action, { method: 'POST', url: id });
        out.push(`${action} ${res.statusCode} ${res.body.replaceAll(id, '<id>')}`);
      }
      return out;
    };
    const unknown = randomUUID();
    const withAs = await answers({ template: 'b-welcome', credential: w.a.credential }, w.a.credential as string);
    expect(withAs.map((a) => a.split(' ').slice(0, 2).join(' '))).toEqual(['validate 200', 'test 422', 'publish 422']);
    expect(withAs).toEqual(await answers({ template: 'b-welcome', credential: unknown }, unknown));
    expect(await answers({ template: 'a-welcome' }, 'a-welcome')).toEqual(
      await answers({ template: 'no-such-template' }, 'no-such-template'),
    );
    // A form of B cannot take A's template for its confirmation mail either.
    await sameAsUnknown(
      w.bAuth,
      (id) => ({
        method: 'PUT',
        url: '/api/forms/b-signup',
        payload: {
          ...form,
          doubleOptIn: true,
          consentText: 'Yes',
          confirmationFrom: 'b@example.com',
          confirmationTemplateId: id,
        },
      }),
      'a-welcome',
      'no-such-template',
    );
  });

  test('filters naming A’s objects find nothing', async () => {
    for (const as of Object.values(attackers))
      for (const url of [
        `/api/messages?runId=${w.a.run}`,
        `/api/audit?object=${w.a.journey}`,
        `/api/audit?object=${w.a.contact}`,
        `/api/audit?actor=${w.a.token}`,
        `/api/runs?journeyId=${w.a.journey}&contactId=${w.a.contact}`,
      ]) {
        const res = await w.call({ method: 'GET', url }, as);
        expect(res.statusCode, url).toBe(200);
        const list = Object.values(res.json() as Record<string, unknown>).find(Array.isArray);
        expect(list, url).toEqual([]);
      }
  });

  test('a webhook of B whose payload names A’s contact binds no contact of A', async () => {
    const hookJourney = await w.publishedJourney(w.bAuth, 'B hook');
    await sameAsUnknown(
      {},
      (id) => ({
        method: 'POST',
        url: `/hooks/${hookJourney}/hook`,
        headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
        payload: JSON.stringify({ contactId: id }),
      }),
      w.a.contact as string,
    );
  });

  test('B’s own object with A’s object under it is unknown', async () => {
    const bJob = await w.ok<{ jobId: string }>(
      { method: 'POST', url: `/api/journeys/${await w.publishedJourney(w.bAuth, 'B jobs')}/retry`, payload: {} },
      w.bAuth,
    );
    expect(bJob.jobId).toBeDefined();
    for (const as of [attackers['B’s token'], attackers['B’s admin (a member of B only)']] as Auth[]) {
      const calls: ((id: string) => Call)[] = [
        (id) => ({ method: 'GET', url: `/api/journeys/${bJourney}/retry/${id}` }),
        (id) => ({ method: 'POST', url: `/api/journeys/${bJourney}/retry/${id}/cancel` }),
        (id) => ({ method: 'DELETE', url: `/api/workspaces/${w.B}/invitations/${id}` }),
      ];
      await sameAsUnknown(as, calls[0] as (id: string) => Call, w.a.retryJob as string);
      await sameAsUnknown(as, calls[1] as (id: string) => Call, w.a.retryJob as string);
      await sameAsUnknown(as, calls[2] as (id: string) => Call, w.a.invitation as string);
      await sameAsUnknown(
        as,
        (id) => ({ method: 'PATCH', url: `/api/workspaces/${w.B}/members/${id}`, payload: { role: 'viewer' } }),
        aOnly as string,
      );
      await sameAsUnknown(
        as,
        (id) => ({ method: 'DELETE', url: `/api/workspaces/${w.B}/members/${id}` }),
        aOnly as string,
      );
    }
  });

  test('B’s template renders B’s snippets only: A’s is a missing snippet', async () => {
    const preview = (name: string): Call => ({
      method: 'POST',
      url: '/api/templates/b-welcome/preview',
      payload: { draft: { format: 'html', subject: 'Hi', body: `<p>{% render '${name}' %}</p>` } },
    });
    const render = async (name: string) => {
      const res = await w.ok<{ html: string; problems: { code: string; message: string }[] }>(preview(name), w.bAuth);
      expect(String(res.html)).not.toContain('A secret');
      return res.problems.map((p) => [p.code, p.message.replaceAll(name, '<name>')]);
    };
    expect(await render('a-secret')).toEqual(await render('no-such-snippet'));
  });

  test('a member of both who is only a viewer of A makes no token for A', async () => {
    const boss = { ...(await signIn(w.t.app, 'b-boss@example.com')).headers, 'x-waymark-workspace': w.B };
    const res = await w.call(
      { method: 'POST', url: '/api/tokens', payload: { name: 'spy', scopes: ['admin'], workspaceId: w.A } },
      boss,
    );
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({ code: 'forbidden', details: [{ permission: 'admin' }] });
  });

  test('B’s export of its contact of A’s email holds nothing of A', async () => {
    const mine = await w.ok<{ id: string }>(
      { method: 'POST', url: '/api/contacts', payload: { email: 'same@example.com' } },
      w.bAuth,
    );
    const res = await w.call({ method: 'GET', url: `/api/contacts/${mine.id}/export` }, w.bAuth);
    expect(res.statusCode).toBe(200);
    expectNothingOfA(res, 'the export');
    expect(res.body).not.toContain('visited');
    expect(res.body).not.toContain('vip');
  });
});

test('after every attack A is as A left it, and B’s audit log names nothing of A', async () => {
  expect(await snapshotOfA(w, operations)).toEqual(before);
  // Refused attempts are not recorded (an export is recorded only once allowed).
  const audit = await w.call({ method: 'GET', url: '/api/audit?limit=1000' }, w.bAuth);
  expect(audit.statusCode).toBe(200);
  expectNothingOfA(audit, 'B’s audit log');
});

// Last: A's own hook starts a run of A here, which the feeds must not carry.
describe('the live feed', () => {
  test('the live feed of each attacker, asked for A’s journey or not, carries none of A’s steps', async () => {
    const base = (await w.t.app.listen({ port: 0, host: '127.0.0.1' })).replace('http', 'ws');
    const feeds = [];
    for (const as of Object.values(attackers)) {
      // Sessions open the feed by ticket (teams.md); a token may too.
      const { ticket } = await w.ok<{ ticket: string }>({ method: 'POST', url: '/api/live/ticket' }, as);
      const spying = await w.ok<{ ticket: string }>({ method: 'POST', url: '/api/live/ticket' }, as);
      feeds.push(await openLiveFeed(base, `ticket=${ticket}`));
      feeds.push(await openLiveFeed(base, `ticket=${spying.ticket}&journeyId=${w.a.journey}`));
    }
    const aFeed = await openLiveFeed(base, `token=${w.aAuth.authorization?.replace('Bearer ', '')}`);
    await new Promise((r) => setTimeout(r, 300)); // the LISTEN connection settles
    const hook = await hookOfA(w, 'live@example.com');
    expect(hook.statusCode).toBe(202);
    await eventually(async () => aFeed.messages.length >= 2);
    await new Promise((r) => setTimeout(r, 300));
    for (const feed of feeds) expect(feed.messages).toEqual([]);
    for (const feed of [...feeds, aFeed]) feed.socket.close();
  });
});
