import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { buildApp } from '../../server/app.js';
import { createTestRuntime, TEST_TOKEN, type TestRuntime } from './runtime.js';

/** Debian's chromium; browser tests skip when it is not installed. */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

const editorDir = fileURLToPath(new URL('../../editor/', import.meta.url));

/** The editor served by a test runtime, and a browser page to drive it. */
export interface EditorSession {
  base: TestRuntime;
  app: FastifyInstance;
  browser: Browser;
  page: Page;
  /** The server's base URL (`http://127.0.0.1:<port>`). */
  url: string;
  close(): Promise<void>;
}

/**
 * Builds the editor when there is no build yet (`npm run build:editor` rebuilds it), serves
 * it from a test runtime on a free port, and opens a headless chromium page.
 *
 * @example
 * const s = await openEditor();
 * await s.page.goto(`${s.url}/?token=${TEST_TOKEN}`);
 */
export async function openEditor(env: Record<string, string> = {}): Promise<EditorSession> {
  if (!existsSync(`${editorDir}dist/index.html`))
    await build({ configFile: `${editorDir}vite.config.ts`, logLevel: 'error' });
  const base = await createTestRuntime(env);
  const app = await buildApp(base.runtime, { serveEditor: true });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Without the background-networking flags chromium keeps trying the closed network.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 850 } });
  return {
    base,
    app,
    browser,
    page,
    url,
    async close() {
      await browser.close();
      await app.close();
      await base.close();
    },
  };
}

/** A page of its own (a fresh browser context: no token, storage or dialog handlers of another test's). */
export async function freshPage(session: EditorSession): Promise<Page> {
  const page = await (await session.browser.newContext({ viewport: { width: 1400, height: 850 } })).newPage();
  page.setDefaultTimeout(10_000);
  return page;
}

/**
 * One editor server for the test file and a fresh page for each test, read through the
 * returned object (`t.s`, `t.page`) once the hooks have run.
 *
 * @example
 * const t = editorPagePerTest();
 * test('…', async () => { await t.page.goto(`${t.s.url}/?token=${TEST_TOKEN}`); });
 */
export function editorPagePerTest(env: Record<string, string> = {}): { s: EditorSession; page: Page } {
  const t = {} as { s: EditorSession; page: Page };
  beforeAll(async () => {
    t.s = await openEditor(env);
  }, 120_000);
  afterAll(() => t.s?.close());
  beforeEach(async () => {
    t.page = await freshPage(t.s);
  });
  afterEach(() => t.page?.context().close());
  return t;
}

/** Creates a journey through the API (`POST /api/journeys`) and opens it on `page`, signed in with the admin token. */
export async function openJourney(
  session: EditorSession,
  page: Page,
  name: string,
  graph?: { nodes: object[]; edges: object[] },
  token: string = TEST_TOKEN,
): Promise<string> {
  const res = await session.app.inject({
    method: 'POST',
    url: '/api/journeys',
    headers: { authorization: `Bearer ${TEST_TOKEN}` },
    payload: graph ? { name, graph } : { name },
  });
  const id: string = res.json().id;
  await page.goto(`${session.url}/journeys/${id}?token=${token}`);
  await page
    .locator(graph?.nodes.length ? '.svelte-flow__node' : '.svelte-flow')
    .first()
    .waitFor();
  return id;
}
