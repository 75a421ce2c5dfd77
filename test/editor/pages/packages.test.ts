import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pack, RegistryStandIn, writePackage } from '../../packages/support.js';
import { type EditorSession, hasChromium, openEditor } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

describe.skipIf(!hasChromium)('the Packages page', () => {
  const registry = new RegistryStandIn();
  let session: EditorSession;
  let page: Page;
  let url: string;

  beforeAll(async () => {
    const registryUrl = await registry.start();
    for (const version of ['1.0.0', '1.1.0'])
      registry.publish('globex-nodes', {
        version,
        tarball: await pack(writePackage({ name: 'globex-nodes', prefix: 'globex', version })),
        description: 'Globex nodes',
      });
    session = await openEditor({ WAYMARK_NPM_REGISTRY: registryUrl });
    ({ page, url } = session);
    await page.goto(`${url}/packages?token=${TEST_TOKEN}`);
  }, 120_000);
  afterAll(async () => {
    await session?.close();
    await registry.stop();
  });

  const installed = () => page.getByRole('table', { name: 'Installed packages' });

  test('uploads an npm pack tarball and lists it as installed', async () => {
    const tarball = await pack(
      writePackage({ name: 'acme-nodes', version: '1.0.0', readme: '# acme-nodes\n\nThe README of acme.' }),
    );
    await page
      .getByLabel('Upload a package tarball')
      .setInputFiles({ name: 'acme-nodes-1.0.0.tgz', mimeType: 'application/gzip', buffer: tarball });
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 10_000 }).toContain('Installed');
    await expect.poll(() => installed().textContent()).toContain('acme.shout@1');
  });

  test('searches the registry, installs, then offers the upgrade only when a newer version exists', async () => {
    await page.getByLabel('Search packages').fill('globex');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const results = page.getByRole('table', { name: 'Search results' });
    await expect.poll(() => results.textContent()).toContain('Globex nodes');
    await results.getByRole('button', { name: 'Install' }).click();
    await expect.poll(() => installed().textContent(), { timeout: 10_000 }).toContain('globex-nodes');
    await expect.poll(() => results.getByRole('button').count()).toBe(0);
  });

  test('removes a version no journey uses', async () => {
    const row = installed().getByRole('row').filter({ hasText: 'globex-nodes' });
    await row.getByRole('button', { name: 'Remove' }).click();
    await expect.poll(() => installed().textContent(), { timeout: 10_000 }).not.toContain('globex-nodes');
  });

  test("shows a node's description and its package's README in the palette", async () => {
    await page.goto(`${url}/`);
    await page.getByLabel('New journey name').fill('Docs');
    await page.getByRole('button', { name: 'Create journey' }).click();
    await page.getByRole('button', { name: 'Docs for Shout' }).click();
    const docs = page.getByRole('region', { name: 'Docs for Shout' });
    await expect.poll(() => docs.textContent(), { timeout: 10_000 }).toContain('The README of acme.');
    expect(await docs.textContent()).toContain('Shouts a text.');
  });
});
