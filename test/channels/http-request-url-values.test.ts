import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { type HttpEndpoint, httpEndpoint } from './http-endpoint.js';

// A value written into http.request's URL is one URL component: before, a webhook payload's
// `a/../../ok?admin=1#` in `/users/{{ trigger.id }}` sent the request, with the node's
// headers, to `/ok?admin=1` on the same API.
let endpoint: HttpEndpoint;
let received: string[] = [];

beforeAll(async () => {
  endpoint = await httpEndpoint((req, res) => {
    req.resume();
    received.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
beforeEach(() => {
  received = [];
});
afterAll(() => endpoint?.close());

describe('http.request writes each value in its URL as one URL component', () => {
  test('a value with slashes, dots, ? and # stays inside its path segment', async () => {
    const { took } = await endpoint.runAgainst('/users/{{ trigger.id }}', { id: 'a/../../ok?admin=1#' });
    expect(took).toEqual(['ok']);
    expect(received).toEqual(['/users/a%2F..%2F..%2Fok%3Fadmin%3D1%23']);
  });

  test('an email in the query reaches the endpoint as the email, its + not read as a space', async () => {
    await endpoint.runAgainst('/find?email={{ trigger.email }}&x=1', { email: 'ada+news@example.com' });
    expect(received).toHaveLength(1);
    const query = new URL(received[0] ?? '', endpoint.base).searchParams;
    expect(query.get('email')).toBe('ada+news@example.com');
    expect(query.get('x')).toBe('1');
  });

  test('a value that is the URL’s start (a callback address from the payload) is used as it is', async () => {
    await endpoint.runUrl('{{ trigger.callback }}&run=1', { callback: `${endpoint.base}/hook?from=crm` });
    expect(received).toEqual(['/hook?from=crm&run=1']);
  });

  test('| raw and | url_encode write the value as the author chose', async () => {
    await endpoint.runAgainst('/files/{{ trigger.path | raw }}', { path: 'docs/guide' });
    await endpoint.runAgainst('/q/{{ trigger.term | url_encode }}', { term: 'a b' });
    expect(received).toEqual(['/files/docs/guide', '/q/a+b']);
  });

  test('a value that would be a whole .. segment fails the step, naming the URL, and calls nothing', async () => {
    const { call, took } = await endpoint.runAgainst('/users/{{ trigger.id }}/orders', { id: '..' });
    expect(took).toEqual(['handled']);
    expect(call.error.code).toBe('template.render');
    expect(call.error.message).toContain('/url');
    expect(call.error.message).toContain('may not be ".."');
    expect(received).toEqual([]);
  });
});
