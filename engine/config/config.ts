import os from 'node:os';
import path from 'node:path';
import { WaymarkError } from '@waymark/sdk';
import { parseUrlText, URL_TEXT_RULE } from '../http/url-text.js';

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

/** A bad environment value: start-up stops with a message naming the variable. */
export class ConfigError extends WaymarkError {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super('config_invalid', `${variable}: ${message}`);
  }
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | null {
  const value = env[name]?.trim();
  return value ? value : null;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return n;
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

function boolean(env: Env, name: string): boolean {
  const raw = text(env, name)?.toLowerCase();
  if (raw === undefined || raw === null || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function url(env: Env, name: string, protocols: string[]): string | null {
  const raw = text(env, name);
  if (raw === null) return null;
  const parsed = parseUrlText(raw);
  if (!parsed) throw new ConfigError(name, `is not a URL ${URL_TEXT_RULE}: ${JSON.stringify(raw)}`);
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return raw;
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
 * The OTLP endpoints, checked only: the exporter reads them itself (API.md "Tracing"), and
 * given one that is no http(s) URL it would start all the same and lose every span quietly.
 */
function checkOtlpEndpoints(env: Env): void {
  for (const name of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'])
    url(env, name, ['http:', 'https:']);
}

/** Whether the environment asks for tracing (API.md "Tracing"): an OTLP endpoint is set. */
export function tracingRequested(env: Env = process.env): boolean {
  return text(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') !== null || text(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== null;
}

/** The OTLP encoding spans go out in, the traces' own setting first (API.md "Tracing"). */
export function otlpProtocol(env: Env): 'http/protobuf' | 'http/json' {
  const name =
    text(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') === null
      ? 'OTEL_EXPORTER_OTLP_PROTOCOL'
      : 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL';
  const protocol = text(env, name) ?? 'http/protobuf';
  if (protocol === 'http/protobuf' || protocol === 'http/json') return protocol;
  throw new ConfigError(name, `must be http/protobuf or http/json, got ${JSON.stringify(protocol)}`);
}

const SAMPLERS = [
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
  'always_on',
  'always_off',
  'traceidratio',
];

/**
 * The standard `OTEL_*` settings the SDK reads itself, checked while tracing is on: given a bad
 * one, the SDK falls back to its default and says so only to a diagnostics logger nobody set
 * (a sampler typo would export every trace, a header without `=` loses the collector's key).
 */
function checkTracingSettings(env: Env): void {
  if (!tracingRequested(env)) return;
  otlpProtocol(env);
  const sampler = text(env, 'OTEL_TRACES_SAMPLER');
  if (sampler !== null && !SAMPLERS.includes(sampler))
    throw new ConfigError(
      'OTEL_TRACES_SAMPLER',
      `must be one of ${SAMPLERS.join(', ')}, got ${JSON.stringify(sampler)}`,
    );
  const ratio = text(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (sampler?.endsWith('traceidratio') && ratio !== null && !(Number(ratio) >= 0 && Number(ratio) <= 1))
    throw new ConfigError('OTEL_TRACES_SAMPLER_ARG', `must be a ratio from 0 to 1, got ${JSON.stringify(ratio)}`);
  for (const name of ['OTEL_EXPORTER_OTLP_COMPRESSION', 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION']) {
    const compression = text(env, name);
    if (compression !== null && compression !== 'gzip' && compression !== 'none')
      throw new ConfigError(name, `must be gzip or none, got ${JSON.stringify(compression)}`);
  }
  for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS']) {
    const bad = (text(env, name) ?? '').split(',').find((pair) => pair.trim() && !/^[^=]*\S[^=]*=\s*\S/.test(pair));
    if (bad !== undefined)
      throw new ConfigError(name, `must be comma-separated name=value pairs, got ${JSON.stringify(bad.trim())}`);
  }
  for (const name of ['OTEL_BSP_SCHEDULE_DELAY', 'OTEL_BSP_EXPORT_TIMEOUT']) integer(env, name, 0, 0, 2_147_483_647);
  for (const name of ['OTEL_BSP_MAX_QUEUE_SIZE', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'])
    integer(env, name, 0, 1, 2_147_483_647);
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
