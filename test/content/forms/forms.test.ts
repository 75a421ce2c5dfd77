import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://forms.example.com' });
});
afterAll(() => t.close());

const fields = [
  { name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' },
  { name: 'firstName', label: 'First name', type: 'text', mapTo: 'attributes.profile.firstName' },
  { name: 'plan', label: 'Plan', type: 'select', options: ['free', 'pro'], mapTo: 'attributes.plan' },
  { name: 'note', label: 'Note', type: 'textarea', mapTo: null },
];
const putForm = (id: string, payload: object) =>
  t.app.inject({ method: 'PUT', url: `/api/forms/${id}`, headers: t.auth, payload });
const postJson = (id: string, payload: object) =>
  t.app.inject({ method: 'POST', url: `/f/${id}`, payload, headers: { 'user-agent': 'Test/1.0' } });

describe('forms API', () => {
  test('a new form is version 1 with its url and embed snippet; a change makes version 2', async () => {
    const res = await putForm('news', { name: 'Newsletter', fields });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      id: 'news',
      version: 1,
      enabled: true,
      lists: [],
      doubleOptIn: false,
      consentText: null,
      url: 'https://forms.example.com/f/news',
      embed: '<script src="https://forms.example.com/f/news/embed.js" async></script>',
    });
    expect((await putForm('news', { name: 'Newsletter', fields })).json().version).toBe(1);
    expect((await putForm('news', { name: 'Newsletter!', fields })).json().version).toBe(2);
  });

  test.each([
    ['no field maps to email', { fields: fields.slice(1) }, '/fields'],
    [
      'a select without options',
      { fields: [...fields, { name: 's', label: 'S', type: 'select', mapTo: null }] },
      '/fields/4/options',
    ],
    ['double opt-in without consent text', { doubleOptIn: true, confirmationFrom: 'a@example.com' }, '/consentText'],
    ['a relative redirect', { redirect: '/thanks' }, '/redirect'],
    ['an unknown confirmation template', { confirmationTemplateId: 'nope' }, '/confirmationTemplateId'],
    [
      'a confirmation sender that is no email address',
      { doubleOptIn: true, consentText: 'Yes', confirmationFrom: 'Newsletter' },
      '/confirmationFrom',
    ],
  ])('refuses %s', async (_what, change, path) => {
    const res = await putForm('bad', { name: 'Bad', fields, ...change });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  test('refuses double opt-in without the From of its confirmation mail, saying so in words', async () => {
    const res = await putForm('no-from', { name: 'No from', fields, doubleOptIn: true, consentText: 'Yes' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toContainEqual({
      path: '/confirmationFrom',
      message: 'double opt-in needs the From address of the confirmation mail',
    });
  });

  test.each(['tags', 'lists'])('refuses a blank name in %s, naming it, and stores no form', async (field) => {
    const res = await putForm(`blank-${field}`, { name: 'Blank', fields, [field]: ['ok', '  '] });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: `/${field}/1`, message: `body/${field}/1 must not be blank` }],
    });
    const forms = (await t.app.inject({ url: '/api/forms', headers: t.auth })).json().forms;
    expect(forms.map((f: { id: string }) => f.id)).not.toContain(`blank-${field}`);
  });

  test('two fields filling one contact field are refused at the second, naming the first', async () => {
    const twice = [
      ...fields,
      { name: 'mobile', label: 'Mobile', type: 'tel', mapTo: 'phone' },
      { name: 'phone', label: 'Phone', type: 'tel', mapTo: 'phone' },
      { name: 'planAgain', label: 'Plan', type: 'text', mapTo: 'attributes.plan' },
    ];
    const res = await putForm('twice', { name: 'Twice', fields: twice });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: '/fields/5/mapTo', message: 'phone is already filled by field mobile' },
      { path: '/fields/6/mapTo', message: 'attributes.plan is already filled by field plan' },
    ]);
  });

  test('confirm is no form id', async () => {
    expect((await putForm('confirm', { name: 'x', fields })).statusCode).toBe(400);
  });
});

describe('the hosted page', () => {
  test('shows one input per field, the consent checkbox and a hidden honeypot, without script', async () => {
    await putForm('page', { name: 'Join us', fields, consentText: 'I agree to <emails>' });
    const res = await t.app.inject({ url: '/f/page' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('<form method="post" action="/f/page"');
    for (const f of fields) expect(res.body).toContain(`name="${f.name}"`);
    expect(res.body).toMatch(/<input type="checkbox" name="_consent" value="on" required> I agree to &lt;emails&gt;/);
    expect(res.body).toMatch(/<input type="text" id="f-_hp" name="_hp" value="" tabindex="-1" autocomplete="off">/);
    expect(res.body).not.toContain('<script');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  test('an unknown or disabled form is a 404 page', async () => {
    await putForm('off', { name: 'Off', fields, enabled: false });
    expect((await t.app.inject({ url: '/f/off' })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/f/never' })).statusCode).toBe(404);
  });

  test('the embed script posts to the form', async () => {
    const res = await t.app.inject({ url: '/f/page/embed.js' });
    expect(res.headers['content-type']).toContain('text/javascript');
    expect(res.body).toContain('https://forms.example.com/f/page');
  });
});

describe('submissions without double opt-in', () => {
  test('a JSON submission upserts the contact with its lists, tags, consent proof and form.submitted', async () => {
    await putForm('signup', {
      name: 'Signup',
      fields,
      consentText: 'Send me news',
      lists: ['newsletter'],
      tags: ['from-form'],
    });
    const res = await postJson('signup', {
      email: 'Ada@Example.com',
      firstName: 'Ada',
      plan: 'pro',
      note: 'hi',
      _consent: 'on',
      _hp: '',
      extra: 'ignored',
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ received: true, confirmationRequired: false, redirect: null });
    expect(res.headers['access-control-allow-origin']).toBe('*');
    const list = await t.app.inject({
      url: '/api/contacts?segment={"attr":"email","op":"eq","value":"ada@example.com"}',
      headers: t.auth,
    });
    const contact = list.json().contacts[0];
    expect(contact.attributes).toEqual({ profile: { firstName: 'Ada' }, plan: 'pro' });
    expect(contact.lists.map((l: { list: string }) => l.list)).toEqual(['newsletter']);
    expect(contact.tags.map((l: { tag: string }) => l.tag)).toEqual(['from-form']);
    expect(contact.consent.email).toMatchObject({
      status: 'subscribed',
      source: 'form:signup',
      proof: { formId: 'signup', formVersion: 1, text: 'Send me news', userAgent: 'Test/1.0', confirmedAt: null },
    });
    const exported = await t.app.inject({ url: `/api/contacts/${contact.id}/export`, headers: t.auth });
    expect(exported.json().consents).toEqual([
      expect.objectContaining({ channel: 'email', status: 'subscribed', text: 'Send me news', ip: '127.0.0.1' }),
    ]);
    const events = await t.app.inject({
      url: `/api/events?contactId=${contact.id}&name=form.submitted`,
      headers: t.auth,
    });
    expect(events.json().events[0].properties).toEqual({
      formId: 'signup',
      formVersion: 1,
      values: { email: 'ada@example.com', firstName: 'Ada', plan: 'pro', note: 'hi' },
    });
  });

  test('an invalid JSON submission answers 400 naming each field', async () => {
    const res = await postJson('signup', { email: 'not-an-email', plan: 'gold' });
    expect(res.statusCode).toBe(400);
    expect(
      res
        .json()
        .error.details.map((d: { path: string }) => d.path)
        .sort(),
    ).toEqual(['/_consent', '/email', '/plan']);
  });

  test('a JSON object or nested list for a field answers 400 at that field and stores nothing', async () => {
    await putForm('typed', { name: 'Typed', fields });
    const res = await postJson('typed', { email: 'obj@example.com', firstName: { x: 1 }, note: [[1]] });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: '/firstName', message: 'First name must be text, not an object or a list' },
      { path: '/note', message: 'Note must be text, not an object or a list' },
    ]);
    const found = await t.app.inject({ url: '/api/contacts?limit=1000', headers: t.auth });
    expect(found.json().contacts).not.toContainEqual(expect.objectContaining({ email: 'obj@example.com' }));
  });

  test('a field given as a list answers 400 at that field, in JSON and in a form post, and stores nothing', async () => {
    await putForm('plain', { name: 'Plain', fields });
    const json = await postJson('plain', { email: ['zed@example.com', 'yan@example.com'], firstName: ['a', 'b'] });
    expect(json.statusCode).toBe(400);
    expect(json.json().error).toMatchObject({
      code: 'validation_failed',
      details: [
        { path: '/email', message: 'Email must be text, not an object or a list' },
        { path: '/firstName', message: 'First name must be text, not an object or a list' },
      ],
    });
    const page = await t.app.inject({
      method: 'POST',
      url: '/f/plain',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=zed%40example.com&email=yan%40example.com&_hp=',
    });
    expect(page.statusCode).toBe(400);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toMatch(/name="email" value="" required><div class="wm-error" role="alert">Email must be text/);
    const found = await t.app.inject({ url: '/api/contacts?limit=1000', headers: t.auth });
    const emails = found.json().contacts.map((c: { email: string }) => c.email);
    expect(emails).not.toContain('zed@example.com');
    expect(emails).not.toContain('yan@example.com');
  });

  test('a required checkbox left unticked is a missing field', async () => {
    await putForm('terms', {
      name: 'Terms',
      fields: [
        fields[0],
        { name: 'terms', label: 'I accept the terms', type: 'checkbox', required: true, mapTo: 'attributes.terms' },
      ],
    });
    for (const terms of [undefined, false, '']) {
      const res = await postJson('terms', { email: 'terms@example.com', ...(terms !== undefined ? { terms } : {}) });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'validation_failed', details: [{ path: '/terms' }] });
    }
    const page = await t.app.inject({
      method: 'POST',
      url: '/f/terms',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=terms%40example.com&_hp=',
    });
    expect(page.statusCode).toBe(400);
    expect(page.body).toMatch(
      /name="terms" value="on" required><div class="wm-error" role="alert">I accept the terms is required/,
    );
    expect((await postJson('terms', { email: 'terms@example.com', terms: 'on' })).statusCode).toBe(202);
  });

  test('a problem with a mapped contact field is at the form field’s name', async () => {
    await putForm('mapped', {
      name: 'Mapped',
      fields: [
        { name: 'mail', label: 'Email', type: 'email', required: true, mapTo: 'email' },
        { name: 'tz', label: 'Time zone', type: 'text', mapTo: 'timezone' },
        { name: 'mobile', label: 'Mobile', type: 'text', mapTo: 'phone' },
        { name: 'customer', label: 'Customer number', type: 'text', mapTo: 'externalId' },
      ],
    });
    const res = await postJson('mapped', { mail: 'mars@example.com', tz: 'Mars/Base', mobile: 'call me' });
    expect(res.statusCode).toBe(400);
    expect(
      res
        .json()
        .error.details.map((d: { path: string }) => d.path)
        .sort(),
    ).toEqual(['/mobile', '/tz']);
  });

  test('a field mapped to a nested attribute sets that one key, keeping the others beside it', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/api/contacts',
      headers: t.auth,
      payload: { email: 'turku@example.com', attributes: { addr: { zip: '00100' }, plan: 'free' } },
    });
    await putForm('address', {
      name: 'Address',
      fields: [fields[0], { name: 'city', label: 'City', type: 'text', mapTo: 'attributes.addr.city' }],
    });
    expect((await postJson('address', { email: 'turku@example.com', city: 'Tku' })).statusCode).toBe(202);
    const list = await t.app.inject({
      url: '/api/contacts?segment={"attr":"email","op":"eq","value":"turku@example.com"}',
      headers: t.auth,
    });
    expect(list.json().contacts[0].attributes).toEqual({ addr: { zip: '00100', city: 'Tku' }, plan: 'free' });
  });

  test('a submission writes its attributes under the source form, which precedence lists can rank', async () => {
    const sources = (payload: object) =>
      t.app.inject({ method: 'PUT', url: '/api/settings/attribute-sources', headers: t.auth, payload });
    await sources({ default: ['form', 'crm'], attributes: {} });
    await t.app.inject({
      method: 'POST',
      url: '/api/contacts',
      headers: t.auth,
      payload: { email: 'ranked@example.com', attributes: { plan: 'free' }, source: 'crm' },
    });
    await putForm('upgrade', { name: 'Upgrade', fields: [fields[0], fields[2]] });
    expect((await postJson('upgrade', { email: 'ranked@example.com', plan: 'pro' })).statusCode).toBe(202);
    await sources({ default: [], attributes: {} });
    const list = await t.app.inject({
      url: '/api/contacts?segment={"attr":"email","op":"eq","value":"ranked@example.com"}',
      headers: t.auth,
    });
    const [contact] = list.json().contacts;
    expect(contact.attributes).toEqual({ plan: 'pro' });
    expect(contact.attributeSources.plan).toMatchObject({ source: 'form' });
  });

  test('a form post goes on to the redirect', async () => {
    await putForm('redir', { name: 'R', fields, redirect: 'https://shop.example.com/thanks' });
    const res = await t.app.inject({
      method: 'POST',
      url: '/f/redir',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=grace%40example.com&_hp=',
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('https://shop.example.com/thanks');
  });

  test('an invalid form post shows the page again with the problem at its field', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/f/redir',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=nope&_hp=',
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toMatch(
      /name="email" value="nope" required><div class="wm-error" role="alert">nope is not an email address/,
    );
  });

  test('a bot filling the honeypot at 100 posts a second stores nothing', async () => {
    await putForm('bots', { name: 'Bots', fields, lists: ['bots'] });
    const count = async () => (await t.runtime.db.selectFrom('contacts').select('id').execute()).length;
    const before = await count();
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        postJson('bots', { email: `bot${i}@spam.example.com`, _hp: 'http://spam' }),
      ),
    );
    expect(answers.every((a) => a.statusCode === 202 && a.json().received === true)).toBe(true);
    expect(await count()).toBe(before);
    const lists = await t.app.inject({ url: '/api/lists', headers: t.auth });
    expect(lists.json().lists.map((l: { list: string }) => l.list)).not.toContain('bots');
  });
});

describe('a blank form name', () => {
  test('is refused for a new form and a change, and none is stored', async () => {
    const blank = { path: '/name', message: 'body/name must not be blank' };
    const made = await putForm('blank-name', { name: '  ', fields });
    expect(made.statusCode).toBe(400);
    expect(made.json().error).toMatchObject({ code: 'validation_failed', details: [blank] });
    await putForm('kept-name', { name: 'Kept', fields });
    const changed = await putForm('kept-name', { name: '\t', fields });
    expect(changed.statusCode).toBe(400);
    expect(changed.json().error).toMatchObject({ code: 'validation_failed', details: [blank] });
    const list = (await t.app.inject({ url: '/api/forms', headers: t.auth })).json().forms;
    expect(list.map((f: { id: string }) => f.id)).not.toContain('blank-name');
    expect(list.find((f: { id: string }) => f.id === 'kept-name')).toMatchObject({ name: 'Kept', version: 1 });
  });
});

describe('erasure', () => {
  test('erasing a contact deletes the consent proofs its forms kept', async () => {
    await putForm('erasable', { name: 'Erasable', fields, consentText: 'Send me news' });
    const signup = { email: 'erase-me@example.com', _consent: 'on' };
    expect((await postJson('erasable', signup)).statusCode).toBe(202);
    const find = async () =>
      (
        await t.app.inject({
          url: '/api/contacts?segment={"attr":"email","op":"eq","value":"erase-me@example.com"}',
          headers: t.auth,
        })
      ).json().contacts[0];
    const erased = await find();
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/api/contacts/${erased.id}`, headers: t.auth })).statusCode,
    ).toBe(204);
    const kept = await t.runtime.db
      .selectFrom('consent_proofs')
      .select('id')
      .where('contact_id', '=', erased.id)
      .execute();
    expect(kept).toEqual([]);
    // Signing up again starts a new contact whose export holds the new proof alone.
    await postJson('erasable', signup);
    const again = await find();
    const exported = await t.app.inject({ url: `/api/contacts/${again.id}/export`, headers: t.auth });
    expect(exported.json().consents).toHaveLength(1);
  });
});
