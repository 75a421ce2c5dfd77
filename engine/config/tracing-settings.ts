import { ConfigError, type Env, integer, text, url } from './env-values.js';

/**
 * The OTLP endpoints, checked only: the exporter reads them itself (API.md "Tracing"), and
 * given one that is no http(s) URL it would start all the same and lose every span quietly.
 */
export function checkOtlpEndpoints(env: Env): void {
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
export function checkTracingSettings(env: Env): void {
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
