import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { buildApp } from '../../server/app.js';
import { createTestRuntime, type TestRuntime } from './runtime.js';

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
