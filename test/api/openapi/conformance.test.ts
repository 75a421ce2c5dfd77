import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type AnswerChecking, createAnswerCheckingApp } from './support.js';

// An outside client's day across the resources the other answer-checked files do not drive:
// content, forms, identity, experiments and retries, and the answers given before a route's
// handler (teams.test.ts: teams, settings, packages, callbacks). Every call is checked
// against the OpenAPI document by `t.call`: status listed, body valid against the listed
// schema, nothing dropped by the serializer.
let t: AnswerChecking;
beforeAll(async () => {
  t = await createAnswerCheckingApp({ PUBLIC_URL: 'https://w.example.com' });
});
afterAll(() => t?.close());

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

function api(method: string, url: string, payload?: object | string, headers: Record<string, string> = {}) {
  return t.call({ method, url, headers: { ...t.auth, ...headers }, ...(payload !== undefined ? { payload } : {}) });
}
const status = async (method: string, url: string, payload?: object | string) =>
  (await api(method, url, payload)).statusCode;

const node = (id: string, type: string, params: object = {}) => ({
  id,
  type,
  version: 1,
  params,
  position: { x: 0, y: 0 },
});

describe('templates and snippets', () => {
  const template = { name: 'Welcome', format: 'html', subject: 'Hi {{ contact.email }}', body: '<p>Hi</p>' };

  test('a template from its first version to its deletion', async () => {
    expect(await status('PUT', '/api/templates/welcome', template)).toBe(201);
    expect(await status('PUT', '/api/templates/welcome', { ...template, body: '<p>Hello</p>' })).toBe(200);
    expect((await api('GET', '/api/templates')).json().templates).toHaveLength(1);
    expect((await api('GET', '/api/templates/welcome')).json().version).toBe(2);
    expect(await status('GET', '/api/templates/welcome/versions/1')).toBe(200);
    expect(await status('GET', '/api/templates/welcome/versions/9')).toBe(404);
    const preview = await api('POST', '/api/templates/welcome/preview', { contact: { email: 'p@example.com' } });
    expect(preview.json().problems).toBeInstanceOf(Array);
    const send = { to: 'test@example.com', from: 'shop@example.com', category: 'transactional' };
    expect(await status('POST', '/api/templates/welcome/send-test', send)).toBe(200);
    const broken = { ...send, draft: { format: 'html', subject: '{% if %}', body: '<p/>' } };
    expect(await status('POST', '/api/templates/welcome/send-test', broken)).toBe(422);
    expect(await status('POST', '/api/templates/welcome/preview', { contactId: UNKNOWN })).toBe(404);
    expect(await status('DELETE', '/api/templates/welcome')).toBe(204);
    expect(await status('GET', '/api/templates/welcome')).toBe(404);
    expect(await status('DELETE', '/api/templates/welcome')).toBe(404);
    expect(await status('PUT', '/api/templates/bad', { name: 'No format' })).toBe(400);
  });

  test('a template a form names cannot be deleted', async () => {
    expect(await status('PUT', '/api/templates/confirm-mail', template)).toBe(201);
    const form = {
      name: 'Names it',
      fields: [{ name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' }],
      consentText: 'Yes please',
      doubleOptIn: true,
      confirmationFrom: 'shop@example.com',
      confirmationTemplateId: 'confirm-mail',
    };
    expect(await status('PUT', '/api/forms/naming', form)).toBe(201);
    expect(await status('DELETE', '/api/templates/confirm-mail')).toBe(409);
  });

  test('snippets', async () => {
    expect(await status('PUT', '/api/snippets/footer', { body: '<p>Bye</p>' })).toBe(201);
    expect(await status('PUT', '/api/snippets/footer', { body: '<p>Bye now</p>' })).toBe(200);
    expect((await api('GET', '/api/snippets')).json().snippets).toHaveLength(1);
    expect(await status('GET', '/api/snippets/footer')).toBe(200);
    expect(await status('DELETE', '/api/snippets/footer')).toBe(204);
    expect(await status('GET', '/api/snippets/footer')).toBe(404);
    expect(await status('DELETE', '/api/snippets/footer')).toBe(404);
    expect(await status('PUT', '/api/snippets/footer', {})).toBe(400);
  });
});

describe('forms and their public pages', () => {
  const form = {
    name: 'Newsletter',
    fields: [
      { name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' },
      { name: 'first', label: 'First name', type: 'text', mapTo: 'attributes.firstName' },
    ],
    lists: ['news'],
  };

  test('a form from creation to its pages and deletion', async () => {
    expect(await status('PUT', '/api/forms/news', form)).toBe(201);
    expect(await status('PUT', '/api/forms/news', { ...form, name: 'News' })).toBe(200);
    expect((await api('GET', '/api/forms')).statusCode).toBe(200);
    expect((await api('GET', '/api/forms/news')).json().version).toBe(2);
    expect(await status('PUT', '/api/forms/bad', { ...form, fields: [] })).toBe(400);
    expect((await t.call({ method: 'GET', url: '/f/news' })).statusCode).toBe(200);
    expect((await t.call({ method: 'GET', url: '/f/news/embed.js' })).statusCode).toBe(200);
    const json = { 'content-type': 'application/json' };
    const submit = (payload: object) => t.call({ method: 'POST', url: '/f/news', headers: json, payload });
    expect((await submit({ email: 'form@example.com', first: 'Ann' })).statusCode).toBe(202);
    expect((await submit({ email: 'not an email' })).statusCode).toBe(400);
    const urlencoded = { 'content-type': 'application/x-www-form-urlencoded' };
    const post = { method: 'POST', url: '/f/news', headers: urlencoded, payload: 'email=page%40example.com' };
    expect((await t.call(post)).statusCode).toBe(200);
    expect((await t.call({ method: 'GET', url: '/f/confirm/no-such-token' })).statusCode).toBe(404);
    expect((await t.call({ method: 'HEAD', url: '/f/confirm/no-such-token' })).statusCode).toBe(405);
    expect(await status('DELETE', '/api/forms/news')).toBe(204);
    expect(await status('GET', '/api/forms/news')).toBe(404);
    expect(await status('DELETE', '/api/forms/news')).toBe(404);
    expect((await t.call({ method: 'GET', url: '/f/news' })).statusCode).toBe(404);
  });
});

describe('identity: merges, quality, computed attributes and their settings', () => {
  test('merge and unmerge two contacts', async () => {
    const a = (await api('POST', '/api/contacts', { email: 'merge-a@example.com' })).json().id as string;
    const b = (await api('POST', '/api/contacts', { phone: '+358401234567' })).json().id as string;
    expect(await status('POST', `/api/contacts/${a}/merge`, { from: b })).toBe(200);
    expect(await status('POST', `/api/contacts/${a}/merge`, { from: b })).toBe(409);
    expect(await status('POST', `/api/contacts/${a}/merge`, { from: UNKNOWN })).toBe(404);
    expect(await status('GET', `/api/contacts/${b}`)).toBe(301);
    expect(await status('POST', `/api/contacts/${a}/unmerge`, { from: b })).toBe(200);
    expect(await status('POST', `/api/contacts/${a}/unmerge`, { from: b })).toBe(404);
    expect(await status('GET', '/api/contacts/quality')).toBe(200);
  });

  test('computed attributes', async () => {
    const definition = { kind: 'aggregate', fn: 'count', event: 'purchase' };
    expect(await status('PUT', '/api/computed-attributes/purchases', { definition })).toBe(201);
    expect(await status('PUT', '/api/computed-attributes/purchases', { definition, refreshEvery: 'PT1M' })).toBe(200);
    expect(await status('PUT', '/api/computed-attributes/purchases', { definition: { kind: 'nope' } })).toBe(400);
    expect(await status('GET', '/api/computed-attributes')).toBe(200);
    expect(await status('GET', '/api/computed-attributes/purchases')).toBe(200);
    expect(await status('DELETE', '/api/computed-attributes/purchases')).toBe(204);
    expect(await status('GET', '/api/computed-attributes/purchases')).toBe(404);
    expect(await status('DELETE', '/api/computed-attributes/purchases')).toBe(404);
  });

  test('identity and attribute-source settings', async () => {
    const identity = (await api('GET', '/api/settings/identity')).json();
    expect(await status('PUT', '/api/settings/identity', identity)).toBe(200);
    expect(await status('PUT', '/api/settings/identity', { autoMerge: 'yes' })).toBe(400);
    const sources = { default: ['crm', 'api'], attributes: { plan: ['billing'] } };
    expect(await status('GET', '/api/settings/attribute-sources')).toBe(200);
    expect(await status('PUT', '/api/settings/attribute-sources', sources)).toBe(200);
    expect(await status('PUT', '/api/settings/attribute-sources', { default: ['api', 'api'], attributes: {} })).toBe(
      400,
    );
  });
});

describe('journey extras: templates, analytics, experiments, failures and retries', () => {
  let journeyId: string;
  beforeAll(async () => {
    const graph = {
      nodes: [
        node('in', 'core.event', { event: 'signup' }),
        node('ab', 'core.split', {
          variants: [
            { key: 'a', weight: 50 },
            { key: 'b', weight: 50 },
          ],
        }),
        node('wait', 'core.wait', { duration: 'P1D' }),
      ],
      edges: [
        { id: 'e1', source: 'in', sourceHandle: 'out', target: 'ab' },
        { id: 'e2', source: 'ab', sourceHandle: 'a', target: 'wait' },
        { id: 'e3', source: 'ab', sourceHandle: 'b', target: 'wait' },
      ],
    };
    journeyId = (await api('POST', '/api/journeys', { name: 'Experiment', graph })).json().id;
    expect(await status('POST', `/api/journeys/${journeyId}/publish`)).toBe(201);
  });

  test('the journey template catalogue', async () => {
    expect(await status('GET', '/api/journey-templates')).toBe(200);
  });

  test('analytics and experiments', async () => {
    expect(await status('GET', `/api/journeys/${journeyId}/analytics?bucket=day`)).toBe(200);
    expect(await status('GET', `/api/journeys/${journeyId}/analytics?bucket=week`)).toBe(400);
    expect(await status('GET', `/api/journeys/${UNKNOWN}/analytics`)).toBe(404);
    expect(await status('GET', `/api/journeys/${journeyId}/experiments`)).toBe(200);
    expect(await status('GET', `/api/journeys/${UNKNOWN}/experiments`)).toBe(404);
    const winner = `/api/journeys/${journeyId}/nodes/ab/winner`;
    expect(await status('POST', winner, { variant: 'a' })).toBe(200);
    expect(await status('POST', winner, { variant: 'zzz' })).toBe(400);
    expect(await status('DELETE', winner)).toBe(200);
    expect(await status('POST', `/api/journeys/${journeyId}/nodes/wait/winner`, { variant: 'a' })).toBe(404);
  });

  test('a test run', async () => {
    const run = await api('POST', `/api/journeys/${journeyId}/test`, { contact: { email: 'tester@example.com' } });
    expect(run.statusCode).toBe(200);
    expect(await status('POST', `/api/journeys/${UNKNOWN}/test`, {})).toBe(404);
  });

  test('failures, run retries and bulk retry jobs', async () => {
    expect(await status('POST', '/api/events', { email: 'split@example.com', name: 'signup' })).toBe(202);
    const runs = (await api('GET', `/api/runs?journeyId=${journeyId}`)).json().runs as { id: string }[];
    expect(runs).toHaveLength(1);
    expect(await status('POST', `/api/runs/${runs[0]?.id}/retry`, {})).toBe(409);
    expect(await status('POST', `/api/runs/${UNKNOWN}/retry`, {})).toBe(404);
    expect(await status('GET', `/api/journeys/${journeyId}/failures`)).toBe(200);
    expect(await status('GET', `/api/journeys/${UNKNOWN}/failures`)).toBe(404);
    const job = (await api('POST', `/api/journeys/${journeyId}/retry`, {})).json().jobId as string;
    expect((await api('GET', `/api/journeys/${journeyId}/retry`)).json().jobs).toHaveLength(1);
    expect(await status('GET', `/api/journeys/${journeyId}/retry/${job}`)).toBe(200);
    expect(await status('GET', `/api/journeys/${journeyId}/retry/${UNKNOWN}`)).toBe(404);
    const cancel = `/api/journeys/${journeyId}/retry/${job}/cancel`;
    expect([200, 409]).toContain(await status('POST', cancel));
    expect(await status('POST', cancel)).toBe(409);
  });
});

describe('answers that come before a route’s handler', () => {
  test('the document itself, without a token', async () => {
    expect((await t.call({ method: 'GET', url: '/api/openapi.json' })).statusCode).toBe(200);
  });

  test('a workspace the principal is no member of: 404 on any route behind the token', async () => {
    const elsewhere = { 'x-waymark-workspace': UNKNOWN };
    expect((await api('GET', '/api/tags', undefined, elsewhere)).statusCode).toBe(404);
    expect((await api('GET', '/api/nodes', undefined, elsewhere)).statusCode).toBe(404);
    expect((await api('POST', '/api/live/ticket', undefined, elsewhere)).statusCode).toBe(404);
  });

  test('a body sent with DELETE that cannot be read: 400, 413 or 415', async () => {
    const url = `/api/tokens/${UNKNOWN}`;
    expect((await api('DELETE', url, '{', { 'content-type': 'application/json' })).statusCode).toBe(400);
    expect((await api('DELETE', url, '<x/>', { 'content-type': 'application/xml' })).statusCode).toBe(415);
    const big = JSON.stringify({ pad: 'x'.repeat(1024 * 1024) });
    expect((await api('DELETE', url, big, { 'content-type': 'application/json' })).statusCode).toBe(413);
  });

  test('a form’s CORS preflight, and a submission of another Content-Type', async () => {
    const form = {
      name: 'Preflight',
      fields: [{ name: 'email', label: 'E', type: 'email', required: true, mapTo: 'email' }],
    };
    expect(await status('PUT', '/api/forms/preflight', form)).toBe(201);
    const preflight = { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST' };
    const res = await t.call({ method: 'OPTIONS', url: '/f/preflight', headers: preflight });
    expect([res.statusCode, res.headers['access-control-allow-origin']]).toEqual([204, '*']);
    const text = { 'content-type': 'text/plain' };
    expect((await t.call({ method: 'POST', url: '/f/preflight', headers: text, payload: 'email' })).statusCode).toBe(
      415,
    );
  });
});
