import { expect } from 'vitest';
import type { TestApp } from '../../support/runtime.js';

/**
 * Saves the workspace's retention `settings` and enforces them at once, as an operator would
 * over the API (API.md "Retention"); answers the cutoffs.
 *
 * @example
 * await enforceRetentionNow(t, { messages: 'P30D' });
 */
export async function enforceRetentionNow(t: TestApp, settings: Record<string, string>): Promise<unknown> {
  const put = await t.app.inject({ method: 'PUT', url: '/api/settings/retention', headers: t.auth, payload: settings });
  expect(put.statusCode).toBe(200);
  const enforced = await t.app.inject({ method: 'POST', url: '/api/settings/retention/enforce', headers: t.auth });
  expect(enforced.statusCode).toBe(200);
  return enforced.json().cutoffs;
}
