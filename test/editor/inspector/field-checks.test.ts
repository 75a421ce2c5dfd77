import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CatalogueNode } from '../../../editor/src/lib/api/types/catalogue.ts';
import type { JsonValue } from '../../../editor/src/lib/api/types/json.ts';
import { validateParams } from '../../../editor/src/lib/schema/validate.ts';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// The inspector's checks of a node's params as they are typed, against the schemas GET
// /api/nodes serves (the same module the editor bundles; in the browser, teams.test.ts shows
// them working under the editor's Content-Security-Policy).
let t: TestApp;
let nodes: CatalogueNode[];
beforeAll(async () => {
  t = await createTestApp();
  nodes = (await t.app.inject({ method: 'GET', url: '/api/nodes', headers: t.auth })).json().nodes;
});
afterAll(() => t?.close());

const check = (type: string, params: JsonValue) =>
  Object.fromEntries(validateParams(nodes.find((n) => n.type === type)?.params ?? {}, params));

describe('the inspector’s field checks', () => {
  test('a valid node has none', () => {
    expect(check('core.webhook', { secret: 'a-secret-of-16-chars' })).toEqual({});
  });

  test('name the field and what is wrong, in the words the server uses', () => {
    expect(check('core.webhook', { secret: 'short', extra: 1 })).toEqual({
      '/secret': ['must NOT have fewer than 16 characters'],
      '/extra': ['is not a known param'],
    });
  });

  test('say a required param is missing at its own field', () => {
    expect(check('core.webhook', {})).toEqual({ '/secret': ['is required'] });
  });

  test('check durations by the engine’s rule', () => {
    expect(check('core.wait', { duration: 'soon' })).toEqual({
      '/duration': ['must be an ISO 8601 duration of zero or more, such as PT30S or P7D'],
    });
    expect(check('core.wait', { duration: 'P1DT2H' })).toEqual({});
  });

  test('say one of several params is needed once, at the node, as the server does', () => {
    expect(check('core.wait', {})).toEqual({ '': ['needs exactly one of duration, until'] });
    expect(check('core.wait', { duration: 'PT1H', until: { time: '09:00', timezone: 'contact' } })).toEqual({
      '': ['needs exactly one of duration, until'],
    });
  });

  test('leave alone a secret the API hid from a reader', () => {
    expect(check('core.webhook', { secret: '[redacted]' })).toEqual({});
  });
});
