import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { e, n } from '../engine/support.js';
import { freePort, launch, waitHealthy } from '../operations/support/processes.js';

// API.md "Start-up and operation": on SIGINT the process lets running steps finish, then stops
// the embedded PostgreSQL. A Ctrl-C in a terminal sends SIGINT to the whole foreground process
// group — npm, Waymark and, before, the embedded PostgreSQL too.

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'waymark-ctrl-c-'));
const TOKEN = 'ctrl-c-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
let slow: Server | null = null;
afterAll(() => {
  slow?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** An HTTP endpoint that answers 3 s after each request; `arrived` resolves at the first one. */
async function slowEndpoint(): Promise<{ url: string; arrived: Promise<void> }> {
  let arrive = () => {};
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  slow = createServer((req, res) => {
    req.resume();
    arrive();
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'), 3_000);
  });
  await new Promise<void>((resolve) => slow?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/slow`, arrived };
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => child.once('exit', () => resolve()));

async function api(port: number, method: string, url: string, body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${port}${url}`, {
    method,
    headers: auth,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json() };
}

describe('Ctrl-C on npm start with the embedded PostgreSQL', () => {
  test('lets the running step finish and commit before PostgreSQL stops, and the run completes', async () => {
    const endpoint = await slowEndpoint();
    const port = await freePort();
    const env = {
      PORT: String(port),
      WAYMARK_DATA_DIR: dataDir,
      DATABASE_URL: '',
      WAYMARK_API_TOKEN: TOKEN,
      WAYMARK_HTTP_ALLOW_PRIVATE: 'true',
    };
    const first = launch('npm', ['start'], env, { detached: true });
    await waitHealthy(port);
    const journey = await api(port, 'POST', '/api/journeys', {
      name: 'Slow call',
      graph: {
        nodes: [
          n('hook', 'core.webhook', { secret: 'a-secret-of-16-chars' }),
          n('call', 'http.request', { method: 'POST', url: endpoint.url }),
          n('done', 'core.exit'),
        ],
        edges: [e('hook', 'call'), e('call', 'done', 'ok')],
      },
    });
    expect((await api(port, 'POST', `/api/journeys/${journey.body.id}/publish`)).status).toBe(201);
    const hook = await fetch(`http://127.0.0.1:${port}/hooks/${journey.body.id}/hook`, {
      method: 'POST',
      headers: { 'x-waymark-secret': 'a-secret-of-16-chars', 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ada@example.com' }),
    });
    const { runId } = (await hook.json()) as { runId: string };
    await endpoint.arrived;

    const gone = exited(first.child);
    process.kill(-(first.child.pid as number), 'SIGINT');
    await gone;
    expect(first.output()).toMatch(/"signal":"SIGINT","msg":"shutting down/);
    expect(first.output()).toMatch(/"msg":"stopped"/);
    expect(first.output()).not.toMatch(/terminating connection|database system is shutting down|took too long/);
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);

    const second = launch(process.execPath, ['--import', 'tsx', 'server/main.ts', 'start'], env);
    try {
      await waitHealthy(port);
      // The exit step after the call may still be queued: the restarted worker runs it.
      let run = await api(port, 'GET', `/api/runs/${runId}`);
      for (let i = 0; i < 120 && run.body.status !== 'completed'; i++) {
        await new Promise((r) => setTimeout(r, 250));
        run = await api(port, 'GET', `/api/runs/${runId}`);
      }
      expect(run.body).toMatchObject({ status: 'completed' });
      const call = (run.body.steps as { nodeId: string; status: string }[]).find((s) => s.nodeId === 'call');
      expect(call?.status).toBe('completed');
    } finally {
      const done = exited(second.child);
      second.child.kill('SIGTERM');
      await done;
    }
  }, 180_000);
});
