import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../engine/config/config.js';

describe('configuration from the environment', () => {
  test('defaults to port 3000 on 127.0.0.1 with the embedded database and the outbox', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: null,
      smtpUrl: null,
      dataDir: '/srv/app/.waymark',
      workerConcurrency: 10,
      httpAllowPrivate: false,
      publicUrl: 'http://127.0.0.1:3000',
    });
  });

  test('reads every documented variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://u@db:5432/w',
      SMTP_URL: 'smtp://mail:25',
      WAYMARK_HTTP_ALLOW_PRIVATE: 'true',
      WAYMARK_NODE_PACKAGES: '@acme/a, ./local-nodes',
      WAYMARK_WORKER_CONCURRENCY: '4',
      PUBLIC_URL: 'https://waymark.example.com/',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: 'postgres://u@db:5432/w',
      smtpUrl: 'smtp://mail:25',
      httpAllowPrivate: true,
      nodePackages: ['@acme/a', './local-nodes'],
      workerConcurrency: 4,
      publicUrl: 'https://waymark.example.com',
    });
  });

  test.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['SMTP_URL', 'not a url'],
    ['WAYMARK_HTTP_ALLOW_PRIVATE', 'maybe'],
    ['WAYMARK_WORKER_CONCURRENCY', '0'],
    ['PUBLIC_URL', 'ftp://x'],
    ['PUBLIC_URL', 'https://waymark.example.com/a\r\nSet-Cookie: x=1'],
    ['WAYMARK_NPM_REGISTRY', 'https://registry.example.com/\tnpm'],
    ['WAYMARK_SECRET_KEY', 'short'],
    ['INBOUND_SMTP_PORT', '-1'],
    ['METRICS_TOKEN', 'fifteen-chars!!'],
    ['METRICS_PORT', '70000'],
    ['HOST', '999.1.1.1'],
    ['HOST', 'exa mple'],
    ['LOG_LEVEL', 'verbose'],
    ['WAYMARK_MAIL_FROM', 'notanemail'],
    ['WAYMARK_MAIL_FROM', 'Waymark <waymark@example.com'],
    ['WAYMARK_MAIL_FROM', 'Waymark\r\nBcc: x@example.com <waymark@example.com>'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'notaurl'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'localhost:4318'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'grpc://collector:4317'],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'collector/v1/traces'],
  ])('a bad %s stops start-up with a message naming it', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`^${variable}:`));
  });

  test('the PostgreSQL pool holds WAYMARK_WORKER_CONCURRENCY + 10 connections unless WAYMARK_DB_POOL_MAX says', () => {
    expect(loadConfig({}).dbPoolMax).toBe(20);
    expect(loadConfig({ WAYMARK_WORKER_CONCURRENCY: '4' }).dbPoolMax).toBe(14);
    expect(loadConfig({ WAYMARK_WORKER_CONCURRENCY: '4', WAYMARK_DB_POOL_MAX: '30' }).dbPoolMax).toBe(30);
  });

  test('a HOST no URL can hold is taken when PUBLIC_URL gives the links their base', () => {
    const env = { HOST: 'fe80::1%eth0', PUBLIC_URL: 'https://waymark.example.com' };
    expect(() => loadConfig({ HOST: env.HOST })).toThrow(/^HOST: "fe80::1%eth0" cannot be the host of a URL/);
    expect(loadConfig(env)).toMatchObject({ host: 'fe80::1%eth0', publicUrl: 'https://waymark.example.com' });
  });

  test('a refused value is quoted in the message, as it was read', () => {
    expect(() => loadConfig({ LOG_LEVEL: 'verbose' })).toThrow(
      'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"',
    );
    expect(() => loadConfig({ PORT: '3o00' })).toThrow('PORT: must be a whole number from 0 to 65535, got "3o00"');
  });

  test('WAYMARK_MAIL_FROM takes an address, or a name with the address in angle brackets', () => {
    expect(loadConfig({}).mailFrom).toBe('Waymark <waymark@localhost>');
    expect(loadConfig({ WAYMARK_MAIL_FROM: 'team@example.com' }).mailFrom).toBe('team@example.com');
    expect(loadConfig({ WAYMARK_MAIL_FROM: '"Acme, Inc." <team@example.com>' }).mailFrom).toBe(
      '"Acme, Inc." <team@example.com>',
    );
  });

  test('an OTLP endpoint must be an http(s) URL, and the message says so', () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'notaurl' })).toThrow(
      'OTEL_EXPORTER_OTLP_ENDPOINT: is not a URL without spaces or control characters: "notaurl"',
    );
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' })).toThrow(
      'OTEL_EXPORTER_OTLP_ENDPOINT: must start with http:// or https://',
    );
    for (const endpoint of ['http://collector:4318', 'https://otlp.example.com/otlp'])
      expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint })).not.toThrow();
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).not.toThrow();
  });

  const TRACING = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
  test.each([
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc', 'must be http/protobuf or http/json, got "grpc"'],
    ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'http/xml', 'must be http/protobuf or http/json, got "http/xml"'],
    ['OTEL_TRACES_SAMPLER', 'parentbased_always', 'must be one of parentbased_always_on, parentbased_always_off,'],
    ['OTEL_EXPORTER_OTLP_COMPRESSION', 'brotli', 'must be gzip or none, got "brotli"'],
    ['OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', 'zip', 'must be gzip or none, got "zip"'],
    [
      'OTEL_EXPORTER_OTLP_HEADERS',
      'x-api-key=abc,Bearer xyz',
      'must be comma-separated name=value pairs, got "Bearer xyz"',
    ],
    ['OTEL_EXPORTER_OTLP_TRACES_HEADERS', 'authorization=', 'must be comma-separated name=value pairs'],
    ['OTEL_BSP_SCHEDULE_DELAY', '1s', 'must be a whole number from 0 to 2147483647, got "1s"'],
    ['OTEL_BSP_MAX_QUEUE_SIZE', '0', 'must be a whole number from 1 to 2147483647, got "0"'],
  ])(
    'with tracing on, a bad %s stops start-up with a message naming it, where the SDK would fall back to its default unheard',
    (variable, value, message) => {
      expect(() => loadConfig({ ...TRACING, [variable]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ ...TRACING, [variable]: value })).toThrow(`${variable}: ${message}`);
    },
  );

  test('with tracing on, a ratio sampler takes OTEL_TRACES_SAMPLER_ARG from 0 to 1 only', () => {
    const ratio = { ...TRACING, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio' };
    for (const arg of ['2', '-0.1', 'ten percent'])
      expect(() => loadConfig({ ...ratio, OTEL_TRACES_SAMPLER_ARG: arg })).toThrow(
        `OTEL_TRACES_SAMPLER_ARG: must be a ratio from 0 to 1, got ${JSON.stringify(arg)}`,
      );
    for (const arg of ['0', '0.1', '1'])
      expect(() => loadConfig({ ...ratio, OTEL_TRACES_SAMPLER_ARG: arg })).not.toThrow();
  });

  test('with tracing on, the standard values are taken as the OpenTelemetry specification spells them', () => {
    expect(() =>
      loadConfig({
        ...TRACING,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_TRACES_SAMPLER: 'always_off',
        OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Basic dXNlcjpwYXNz==, x-scope-orgid=acme',
        OTEL_BSP_SCHEDULE_DELAY: '0',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '512',
      }),
    ).not.toThrow();
  });

  test('with tracing off, the OTEL_* settings it would read are left alone', () => {
    expect(() => loadConfig({ OTEL_TRACES_SAMPLER: 'bogus', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).not.toThrow();
  });

  test('METRICS_HOST defaults to HOST', () => {
    expect(loadConfig({ HOST: '0.0.0.0', METRICS_PORT: '9464' })).toMatchObject({
      metricsHost: '0.0.0.0',
      metricsPort: 9464,
    });
  });
});
