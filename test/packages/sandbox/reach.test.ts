import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { runEnds } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { fire, installTarball, publishedJourney } from '../journeys.js';
import { pack, writePackage } from '../support.js';

// What an installed package's code may reach beyond its own files (contract packages.md
// "Isolation and reach"): it runs in a process of its own version that reads only its own
// folder and the SDK's, writes nothing, and whose connections follow ctx.http's address rule
// and never reach Waymark's database.
const ROOT = path.resolve(import.meta.dirname, '../../..');
const FILES = 'a package may read only its own files and write none (packages.md "Isolation and reach")';

let t: TestApp;
let worker: WorkerHandle;
let standIn: Server;
let standInPort = 0;
let databasePort = 0;
/** What the `hold` package's attempts told the stand-in: the pid of the process they run in. */
const held: number[] = [];

const install = async (app: TestApp, prefix: string, run: string, node = 'maxAttempts: 1,') => {
  const dir = writePackage({ name: `${prefix}-nodes`, prefix, version: '1.0.0', run, node });
  const res = await installTarball(app, await pack(dir));
  if (res.statusCode !== 201) throw new Error(res.body);
};

/** A node that opens a TCP connection to `host`:`port` and answers once it is connected. */
const connects = (host: string, port: string) => `const net = await import('node:net');
await new Promise((resolve, reject) => {
  const socket = net.connect({ host: ${host}, port: ${port} }, () => { socket.end(); resolve(); });
  socket.on('error', reject);
});
return { next: 'out', output: { connected: true } };`;

beforeAll(async () => {
  standIn = createServer((req, res) => {
    const pid = /^\/held\/(\d+)$/.exec(req.url ?? '')?.[1];
    if (pid) held.push(Number(pid));
    res.end('stand-in');
  });
  await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
  standInPort = (standIn.address() as AddressInfo).port;
  // Private addresses allowed, as for a stand-in: the database stays out of reach all the same.
  t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true' });
  databasePort = Number(new URL(t.database.url).port) || 5432;
  worker = await startWorker(t.runtime, { pollInterval: 100 });
  await install(t, 'environ', "(await import('node:fs')).readFileSync('/proc/self/environ'); return { next: 'out' };");
  await install(
    t,
    'parent',
    "(await import('node:fs')).readFileSync('/proc/' + process.ppid + '/environ'); return { next: 'out' };",
  );
  await install(
    t,
    'source',
    `(await import('node:fs')).readFileSync(${JSON.stringify(path.join(ROOT, 'package.json'))}); return { next: 'out' };`,
  );
  await install(
    t,
    'write',
    "(await import('node:fs')).writeFileSync(new URL('./note.txt', import.meta.url), 'x'); return { next: 'out' };",
  );
  await install(
    t,
    'own',
    "const text = (await import('node:fs')).readFileSync(new URL('./README.md', import.meta.url), 'utf8'); return { next: 'out', output: { readme: text.split('\\n')[0] } };",
  );
  await install(
    t,
    'link',
    "(await import('node:fs')).symlinkSync('/etc/passwd', new URL('./l', import.meta.url)); return { next: 'out' };",
  );
  await install(t, 'database', connects("'127.0.0.1'", String(databasePort)));
  await install(t, 'named', connects("'localhost'", String(databasePort)));
  await install(t, 'standin', connects("'127.0.0.1'", String(standInPort)));
  await install(
    t,
    'socket',
    `const net = await import('node:net');
await new Promise((resolve, reject) => net.connect('/var/run/postgresql/.s.PGSQL.5432', resolve).on('error', reject));
return { next: 'out' };`,
  );
  await install(t, 'signal', "process.kill(process.ppid, 0); return { next: 'out' };");
  await install(t, 'rawsignal', "process._kill(process.ppid, 0); return { next: 'out' };");
  await install(t, 'listen', "(await import('node:net')).createServer().listen(8125); return { next: 'out' };");
  await install(
    t,
    'serve',
    "(await import('node:http')).createServer((_req, res) => res.end()).listen(8126, '0.0.0.0'); return { next: 'out' };",
  );
  // The class of a connected socket's handle would listen without net.Server.
  await install(
    t,
    'handle',
    `const net = await import('node:net');
const socket = net.connect({ host: '127.0.0.1', port: ${standInPort} });
const TCP = socket._handle.constructor;
socket.destroy();
const server = new TCP(1);
server.bind('127.0.0.1', 0);
server.listen(16);
return { next: 'out' };`,
  );
  // A local socket's handle, of the class of one the package makes on its process's IPC
  // descriptor (3), would listen on an abstract name any process here could connect to.
  await install(
    t,
    'pipe',
    `const net = await import('node:net');
const Pipe = new net.Socket({ fd: 3, readable: false, writable: false })._handle.constructor;
const server = new Pipe(1);
server.bind('\\0waymark-reach-test-' + process.pid);
server.listen(16);
return { next: 'out' };`,
  );
  await install(t, 'udp', "await import('node:dgram'); return { next: 'out' };");
  await install(
    t,
    'hold',
    `const http = await import('node:http');
await new Promise((resolve) => http.get('http://127.0.0.1:${standInPort}/held/' + process.pid, (res) => res.resume().on('end', resolve)));
if (ctx.trigger.name === 'Hold') await new Promise(() => {});
return { next: 'out', output: { pid: process.pid } };`,
    'timeoutMs: 20000, maxAttempts: 1,',
  );
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await t?.close();
  standIn?.close();
});

/** Runs a journey of `type`; returns its run and that node's step. */
async function stepOf(app: TestApp, type: string) {
  const { run, steps } = await runEnds(
    app.runtime.db,
    await fire(app, await publishedJourney(app, type)),
    undefined,
    30_000,
  );
  return { run, step: steps.find((s) => s.node_id === 'shout') };
}

describe("a package's process reads only its own files and writes none", () => {
  test.each([
    ['its own environment, /proc/self/environ', 'environ.shout', 'cannot read /proc/self/environ'],
    ["Waymark's environment, /proc/<parent>/environ", 'parent.shout', 'cannot read /proc/'],
    ["Waymark's own files", 'source.shout', `cannot read ${path.join(ROOT, 'package.json')}`],
    ['a write into its own folder', 'write.shout', 'cannot write '],
  ])(
    '%s fails the step with step.forbidden, not retried',
    async (_what, type, named) => {
      const { run, step } = await stepOf(t, type);
      expect(run.status).toBe('failed');
      expect(step?.attempts).toBe(1);
      expect(step?.error).toMatchObject({ code: 'step.forbidden', message: expect.stringContaining(named) });
      expect(step?.error).toMatchObject({ message: expect.stringContaining(FILES) });
    },
    30_000,
  );

  test('a symbolic link made in its own folder fails the step with step.forbidden, naming the link', async () => {
    const { step } = await stepOf(t, 'link.shout');
    expect(step?.error).toMatchObject({
      code: 'step.forbidden',
      retryable: false,
      message: expect.stringMatching(/^cannot write \/\S+\/node_modules\/link-nodes\/l: a package may read only/),
    });
  }, 30_000);

  test('its own files read as before', async () => {
    const { run, step } = await stepOf(t, 'own.shout');
    expect(run.status).toBe('completed');
    expect(step?.output).toEqual({ readme: '# own-nodes' });
  }, 30_000);
});

describe("a package's connections", () => {
  test("never reach Waymark's database, even where private addresses are allowed", async () => {
    const { run, step } = await stepOf(t, 'database.shout');
    expect(run.status).toBe('failed');
    expect(step?.error).toMatchObject({
      code: 'step.forbidden',
      message: `cannot connect to 127.0.0.1:${databasePort}: it is Waymark's database (packages.md "Isolation and reach")`,
    });
  }, 30_000);

  test('nor by a name that resolves to it', async () => {
    const { step } = await stepOf(t, 'named.shout');
    expect(step?.error).toMatchObject({
      code: 'step.forbidden',
      message: expect.stringMatching(
        new RegExp(`^cannot connect to localhost:${databasePort} \\(.+\\): it is Waymark's database`),
      ),
    });
  }, 30_000);

  test('nor through a local socket', async () => {
    const { step } = await stepOf(t, 'socket.shout');
    expect(step?.error).toMatchObject({
      code: 'step.forbidden',
      message: expect.stringContaining('a package may not open local sockets'),
    });
  }, 30_000);

  test('reach a private address when WAYMARK_HTTP_ALLOW_PRIVATE allows it, as ctx.http does', async () => {
    const { run, step } = await stepOf(t, 'standin.shout');
    expect(run.status).toBe('completed');
    expect(step?.output).toEqual({ connected: true });
  }, 30_000);

  test('are refused a private address otherwise, as ctx.http is', async () => {
    const strict = await createTestApp();
    const strictWorker = await startWorker(strict.runtime, { pollInterval: 100 });
    try {
      await install(strict, 'standin', connects("'127.0.0.1'", String(standInPort)));
      await install(strict, 'compat', connects("'::127.0.0.1'", String(standInPort)));
      const { step } = await stepOf(strict, 'standin.shout');
      expect(step?.error).toMatchObject({
        code: 'step.forbidden',
        message: `cannot connect to 127.0.0.1:${standInPort}: a loopback address (set WAYMARK_HTTP_ALLOW_PRIVATE=true to allow) (packages.md "Isolation and reach")`,
      });
      // An IPv4-compatible IPv6 address carries its IPv4 one: refused as ctx.http refuses it.
      const compat = await stepOf(strict, 'compat.shout');
      expect(compat.step?.error).toMatchObject({
        code: 'step.forbidden',
        message: expect.stringMatching(
          /^cannot connect to ::127.0.0.1:\d+: a \w+ address \(set WAYMARK_HTTP_ALLOW_PRIVATE=true to allow\)/,
        ),
      });
    } finally {
      await strictWorker.stop();
      await strict.close();
    }
  }, 60_000);

  test('may not send UDP: node:dgram is refused', async () => {
    const { step } = await stepOf(t, 'udp.shout');
    expect(step?.error).toMatchObject({
      code: 'step.forbidden',
      message: expect.stringContaining('cannot import "node:dgram"'),
    });
  }, 30_000);
});

describe('a package may not accept connections', () => {
  const LISTEN = 'a package may not accept connections (packages.md "Isolation and reach")';

  test('net.createServer().listen fails the step with step.forbidden, not retried', async () => {
    const { run, step } = await stepOf(t, 'listen.shout');
    expect(run.status).toBe('failed');
    expect(step?.attempts).toBe(1);
    expect(step?.error).toMatchObject({ code: 'step.forbidden', message: `cannot listen on 8125: ${LISTEN}` });
  }, 30_000);

  test("nor does node:http's server", async () => {
    const { step } = await stepOf(t, 'serve.shout');
    expect(step?.error).toMatchObject({ code: 'step.forbidden', message: `cannot listen on 0.0.0.0:8126: ${LISTEN}` });
  }, 30_000);

  test.each([
    ["a connected socket's handle", 'handle.shout'],
    ["a local socket's handle (made on one of its process's descriptors)", 'pipe.shout'],
  ])(
    'nor the class of %s, past net.Server',
    async (_which, type) => {
      const { step } = await stepOf(t, type);
      expect(step?.error).toMatchObject({
        code: 'step.forbidden',
        message: `cannot listen on a socket handle: ${LISTEN}`,
      });
    },
    30_000,
  );
});

describe("a package's process", () => {
  test.each([
    ['process.kill', 'signal.shout', 'cannot use process.kill'],
    ['process._kill, which process.kill calls', 'rawsignal.shout', 'cannot use process._kill'],
  ])(
    "may not signal Waymark's processes through %s",
    async (_name, type, refusal) => {
      const { step } = await stepOf(t, type);
      expect(step?.error).toMatchObject({ code: 'step.forbidden', message: expect.stringContaining(refusal) });
    },
    30_000,
  );

  test('ended from outside fails the attempt it ran with step.crashed; the next attempt gets a new one', async () => {
    held.length = 0;
    const id = await publishedJourney(t, 'hold.shout');
    const holding = await fire(t, id, 'Hold');
    while (held.length === 0) await new Promise((r) => setTimeout(r, 50));
    const pid = held[0] as number;
    process.kill(pid, 'SIGKILL');
    const { run, steps } = await runEnds(t.runtime.db, holding, undefined, 30_000);
    expect(run.status).toBe('failed');
    expect(steps.find((s) => s.node_id === 'shout')?.error).toMatchObject({
      code: 'step.crashed',
      message: expect.stringContaining("the package's process ended (signal SIGKILL)"),
    });
    const next = await runEnds(t.runtime.db, await fire(t, id, 'Ada'), undefined, 30_000);
    expect(next.run.status).toBe('completed');
    const output = next.steps.find((s) => s.node_id === 'shout')?.output as { pid: number };
    expect(output.pid).not.toBe(pid);
  }, 60_000);
});
