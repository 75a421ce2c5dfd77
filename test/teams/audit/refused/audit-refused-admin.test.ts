import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { installTarball } from '../../../packages/journeys.js';
import { pack, writePackage } from '../../../packages/support.js';
import { createTestApp, type TestApp } from '../../../support/runtime.js';
import { caller, expectRefused, whileAuditRefused } from '../audit-refusal.js';

// teams.md "Audit log": every successful change is appended in the same transaction as the
// change. A credential, setting or package change whose entry cannot be written is not made.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const call = (...args: Parameters<ReturnType<typeof caller>>) => caller(t)(...args);

const credentials = async () =>
  ((await call('GET', '/api/credentials')).json() as { credentials: { id: string; name: string }[] }).credentials;
const postmark = (name: string) => ({ name, type: 'postmark.server', data: { serverToken: 'pm-token' } });

describe('credentials whose change cannot be recorded', () => {
  test('storing one answers 500 and no credential is stored', async () => {
    expectRefused(await whileAuditRefused(t, () => call('POST', '/api/credentials', postmark('never stored'))));
    expect((await credentials()).map((c) => c.name)).not.toContain('never stored');
  });

  test('changing one answers 500 and it keeps its name', async () => {
    const { id } = (await call('POST', '/api/credentials', postmark('kept name'))).json() as { id: string };
    expectRefused(await whileAuditRefused(t, () => call('PUT', `/api/credentials/${id}`, { name: 'other name' })));
    expect((await credentials()).find((c) => c.id === id)?.name).toBe('kept name');
  });

  test('deleting one answers 500 and it stays', async () => {
    const { id } = (await call('POST', '/api/credentials', postmark('still here'))).json() as { id: string };
    expectRefused(await whileAuditRefused(t, () => call('DELETE', `/api/credentials/${id}`)));
    expect((await credentials()).map((c) => c.id)).toContain(id);
  });
});

describe('settings whose change cannot be recorded', () => {
  test.each([
    ['/api/settings/contact-rules', { requireConsent: true }],
    ['/api/settings/identity', { autoMerge: true, autoMergeOn: ['email'] }],
    ['/api/settings/attribute-sources', { default: ['form', 'crm'], attributes: {} }],
    ['/api/settings/retention', { events: 'P1Y' }],
  ])('PUT %s answers 500 and the settings stay as they were', async (url, body) => {
    const before = (await call('GET', url)).json();
    expectRefused(await whileAuditRefused(t, () => call('PUT', url, body)));
    expect((await call('GET', url)).json()).toEqual(before);
  });
});

describe('packages whose change cannot be recorded', () => {
  const tarball = (name: string) => pack(writePackage({ name, version: '1.0.0', prefix: name.replace(/[^a-z]/g, '') }));
  const installed = async () =>
    ((await call('GET', '/api/packages')).json() as { packages: { name: string }[] }).packages.map((p) => p.name);

  test('installing one answers 500 and it is not installed; it installs once the log takes entries', async () => {
    const bytes = await tarball('unrecorded');
    expectRefused(await whileAuditRefused(t, () => installTarball(t, bytes)));
    expect(await installed()).not.toContain('unrecorded');
    expect((await installTarball(t, bytes)).statusCode).toBe(201);
  });

  test('removing one answers 500 and it stays installed', async () => {
    expect((await installTarball(t, await tarball('staying'))).statusCode).toBe(201);
    expectRefused(await whileAuditRefused(t, () => call('DELETE', '/api/packages/staying/1.0.0')));
    expect(await installed()).toContain('staying');
  });
});
