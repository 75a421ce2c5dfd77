import os from 'node:os';
import path from 'node:path';
import { boolean, ConfigError, type Env, integer, text, url } from './env-values.js';
import { checkOtlpEndpoints, checkTracingSettings } from './tracing-settings.js';

// Where start-up's callers and tests have always found it.
export { ConfigError } from './env-values.js';

/** Everything Waymark reads from the environment, read once at start-up. */
export interface Config {
  port: number;
  host: string;
  /** null: start the embedded PostgreSQL in `dataDir`. */
  databaseUrl: string | null;
  dataDir: string;
  /** null: email goes to the built-in outbox. */
  smtpUrl: string | null;
  /** From of mail to people (invitations, password resets): `WAYMARK_MAIL_FROM`. */
  mailFrom: string;
  apiToken: string | null;
  /** null: generated into the data folder on first start. */
  secretKey: string | null;
  /** The key before the last rotation: still verifies and decrypts, never signs or encrypts. */
  secretKeyPrevious: string | null;
  httpAllowPrivate: boolean;
  nodePackages: string[];
  /** Where packages are installed from by name and searched (`WAYMARK_NPM_REGISTRY`), with a trailing slash. */
  npmRegistry: string;
  /** Sent to that registry only, as `Authorization: Bearer` (`WAYMARK_NPM_TOKEN`). */
  npmToken: string | null;
  /** The time limit of a step of an installed package whose node declares none (`WAYMARK_STEP_TIMEOUT_MS`). */
  stepTimeoutMs: number;
  /** What one installed package version may unpack to, its dependencies included (`WAYMARK_PACKAGE_MAX_*`). */
  packageLimits: { bytes: number; entries: number };
  workerConcurrency: number;
  publicUrl: string;
  inboundEmailDomain: string | null;
  inboundSmtpPort: number | null;
  inboundSecret: string | null;
  /**
   * Which proxies' `X-Forwarded-*` headers to believe (fastify's `trustProxy`): false, a hop
   * count, or addresses/CIDRs. Believing every client would let anyone pick the address that
   * per-address limits count.
   */
  trustProxy: boolean | number | string[];
  logLevel: string;
  /** `METRICS_TOKEN`: opens `GET /metrics` on the HTTP port; null: that path answers 404. */
  metricsToken: string | null;
  /** `METRICS_PORT`: every process serves `/metrics` there without a token; null: no such listener. */
  metricsPort: number | null;
  /** `METRICS_HOST`, default `HOST`. */
  metricsHost: string;
  /** `WAYMARK_DB_POOL_MAX`: this process's PostgreSQL pool size, default concurrency + 10. */
  dbPoolMax: number;
  /** `WAYMARK_STEP_POOL_MAX`: connections of the step kernel's own pool (`Runtime.stepDb`), default 4. */
  stepPoolMax: number;
  /**
   * `WAYMARK_INGEST_CONCURRENCY`: records taken in at once by this process (`Runtime.ingestSlots`:
   * the events API, inbound mail, tracking, unsubscribes, provider events, forms), default two per core.
   */
  ingestConcurrency: number;
}

/** `WAYMARK_TRUST_PROXY`: `false` (default), `true`, a hop count, or comma-separated addresses or CIDRs. */
function trustProxy(env: Env): boolean | number | string[] {
  const raw = text(env, 'WAYMARK_TRUST_PROXY');
  if (raw === null || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  const addresses = raw.split(',').map((s) => s.trim());
  if (addresses.every((a) => /^[0-9a-f.:]+(\/\d{1,3})?$/i.test(a))) return addresses;
  throw new ConfigError('WAYMARK_TRUST_PROXY', `must be true, false, a hop count or addresses/CIDRs, got "${raw}"`);
}

/**
 * `WAYMARK_MAIL_FROM`: an address, or a name and an address in angle brackets. Checked here, or
 * a typo would first show as an invitation or password reset that never leaves.
 */
function mailFrom(env: Env): string {
  const raw = text(env, 'WAYMARK_MAIL_FROM');
  if (raw === null) return 'Waymark <waymark@localhost>';
  const address = /^(?:[^<>]*<([^<>]*)>|([^<>]*))$/.exec(raw);
  const email = address?.[1] ?? address?.[2] ?? '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a line break would inject a header
  if (/[\x00-\x1f\x7f]/.test(raw) || !/^[^\s@]+@[^\s@]+$/.test(email)) {
    throw new ConfigError(
      'WAYMARK_MAIL_FROM',
      `must be an email address, optionally with a name ("Waymark <waymark@example.com>"), got ${JSON.stringify(raw)}`,
    );
  }
  return raw;
}

/** `http://HOST:PORT`, the default `PUBLIC_URL`; a HOST no URL can hold is named here, not at the first link made. */
function hostUrl(host: string, port: number): string {
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (!URL.canParse(base)) {
    throw new ConfigError(
      'HOST',
      `${JSON.stringify(host)} cannot be the host of a URL (the default PUBLIC_URL is http://HOST:PORT); ` +
        'give a host name or IP address, or set PUBLIC_URL',
    );
  }
  return base;
}

/**
 * Reads and checks the environment.
 *
 * @example
 * const config = loadConfig(process.env); // throws ConfigError('PORT', …) on PORT=abc
 */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const host = text(env, 'HOST') ?? '127.0.0.1';
  const publicUrl = url(env, 'PUBLIC_URL', ['http:', 'https:']) ?? hostUrl(host, port);
  const secretKey = text(env, 'WAYMARK_SECRET_KEY');
  if (secretKey !== null && secretKey.length < 16) {
    throw new ConfigError('WAYMARK_SECRET_KEY', 'must be at least 16 characters');
  }
  const secretKeyPrevious = text(env, 'WAYMARK_SECRET_KEY_PREVIOUS');
  if (secretKeyPrevious !== null && secretKeyPrevious.length < 16) {
    throw new ConfigError('WAYMARK_SECRET_KEY_PREVIOUS', 'must be at least 16 characters');
  }
  const apiToken = text(env, 'WAYMARK_API_TOKEN');
  if (apiToken !== null && apiToken.length < 16) {
    throw new ConfigError('WAYMARK_API_TOKEN', 'must be at least 16 characters');
  }
  const inboundEmailDomain = text(env, 'INBOUND_EMAIL_DOMAIN');
  if (inboundEmailDomain !== null && !/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(inboundEmailDomain)) {
    throw new ConfigError('INBOUND_EMAIL_DOMAIN', `is not a domain name: "${inboundEmailDomain}"`);
  }
  const inboundSmtpPort =
    text(env, 'INBOUND_SMTP_PORT') === null ? null : integer(env, 'INBOUND_SMTP_PORT', 0, 0, 65535);
  if (inboundSmtpPort !== null && inboundEmailDomain === null) {
    throw new ConfigError(
      'INBOUND_SMTP_PORT',
      'needs INBOUND_EMAIL_DOMAIN: the listener takes mail only for that domain',
    );
  }
  const inboundSecret = text(env, 'INBOUND_SECRET');
  if (inboundSecret !== null && inboundSecret.length < 16) {
    throw new ConfigError('INBOUND_SECRET', 'must be at least 16 characters');
  }
  const logLevel = text(env, 'LOG_LEVEL') ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(
      'LOG_LEVEL',
      `must be one of fatal, error, warn, info, debug, trace, silent, got ${JSON.stringify(logLevel)}`,
    );
  }
  const metricsToken = text(env, 'METRICS_TOKEN');
  if (metricsToken !== null && metricsToken.length < 16) {
    throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters');
  }
  const workerConcurrency = integer(env, 'WAYMARK_WORKER_CONCURRENCY', 10, 1, 1000);
  checkOtlpEndpoints(env);
  checkTracingSettings(env);
  return {
    port,
    host,
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: path.resolve(cwd, text(env, 'WAYMARK_DATA_DIR') ?? '.waymark'),
    smtpUrl: url(env, 'SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom: mailFrom(env),
    apiToken,
    secretKey,
    secretKeyPrevious,
    httpAllowPrivate: boolean(env, 'WAYMARK_HTTP_ALLOW_PRIVATE'),
    nodePackages: (text(env, 'WAYMARK_NODE_PACKAGES') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    workerConcurrency,
    npmRegistry: `${(url(env, 'WAYMARK_NPM_REGISTRY', ['http:', 'https:']) ?? 'https://registry.npmjs.org/').replace(/\/+$/, '')}/`,
    npmToken: text(env, 'WAYMARK_NPM_TOKEN'),
    stepTimeoutMs: integer(env, 'WAYMARK_STEP_TIMEOUT_MS', 30_000, 100, 3_600_000),
    packageLimits: {
      bytes: integer(env, 'WAYMARK_PACKAGE_MAX_UNPACKED_BYTES', 100 * 2 ** 20, 2 ** 20, 2 ** 40),
      entries: integer(env, 'WAYMARK_PACKAGE_MAX_FILES', 10_000, 10, 10_000_000),
    },
    publicUrl: publicUrl.replace(/\/+$/, ''),
    inboundEmailDomain,
    inboundSmtpPort,
    inboundSecret,
    trustProxy: trustProxy(env),
    logLevel,
    metricsToken,
    metricsPort: text(env, 'METRICS_PORT') === null ? null : integer(env, 'METRICS_PORT', 0, 0, 65535),
    metricsHost: text(env, 'METRICS_HOST') ?? host,
    dbPoolMax: integer(env, 'WAYMARK_DB_POOL_MAX', workerConcurrency + 10, 1, 1000),
    stepPoolMax: integer(env, 'WAYMARK_STEP_POOL_MAX', 4, 1, 1000),
    ingestConcurrency: integer(env, 'WAYMARK_INGEST_CONCURRENCY', 2 * os.availableParallelism(), 1, 1000),
  };
}
