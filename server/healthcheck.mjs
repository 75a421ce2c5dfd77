// The Dockerfile's HEALTHCHECK: exits 0 when this container's Waymark process is healthy, 1 when not.
// Plain JavaScript run by node alone: no tsx start-up on every check, and no curl in the image.
//   node server/healthcheck.mjs [role]   (role: start, server, worker, migrate; default: PID 1's argument)
import { readFileSync } from 'node:fs';

const ROLES = ['start', 'server', 'worker', 'migrate'];
const TIMEOUT_MS = 4_000;

/** The role the container runs: the last argument of its PID 1 (`node … server/main.ts worker`, or tini's child). */
function containerRole() {
  try {
    const args = readFileSync('/proc/1/cmdline', 'utf8').split('\0').filter(Boolean);
    const last = args.at(-1) ?? '';
    return ROLES.includes(last) ? last : 'start';
  } catch {
    return 'start';
  }
}

/** `HOST` as a client reaches it: a wildcard address is answered on loopback. */
function reachable(host) {
  if (!host || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

async function get(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  return { status: res.status, text: await res.text() };
}

/** Whether the process of `role` is healthy, and why not. */
async function check(role, env) {
  const host = env.HOST || '127.0.0.1';
  if (role === 'start' || role === 'server') {
    // API.md: 200 once migrated with the worker running, 503 while the database is unreachable.
    const { status, text } = await get(`http://${reachable(host)}:${env.PORT || '3000'}/healthz`);
    return status === 200 ? null : `/healthz answered ${status} ${text}`;
  }
  if (role === 'worker') {
    // A worker opens no port but METRICS_PORT; without it, a live process is all Docker can see.
    if (!env.METRICS_PORT) return null;
    const at = reachable(env.METRICS_HOST || host);
    const { status, text } = await get(`http://${at}:${env.METRICS_PORT}/metrics`);
    if (status !== 200) return `/metrics answered ${status}`;
    return /^waymark_database_up(\{[^}]*\})? 1$/m.test(text) ? null : 'waymark_database_up is not 1';
  }
  // `migrate` exits once done: nothing to ask.
  return null;
}

const role = process.argv[2] ?? containerRole();
if (!ROLES.includes(role)) {
  console.error(`unknown role "${role}"; use one of ${ROLES.join(', ')}`);
  // Docker reads 0 healthy, 1 unhealthy; 2 is reserved.
  process.exit(1);
}
check(role, process.env).then(
  (problem) => {
    if (problem) console.error(`unhealthy: ${problem}`);
    process.exit(problem ? 1 : 0);
  },
  (error) => {
    console.error(`unhealthy: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
