import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** An OTLP attribute as OTLP/JSON encodes it. */
interface OtlpAttribute {
  key: string;
  value: {
    stringValue?: string;
    intValue?: string | number;
    boolValue?: boolean;
    arrayValue?: { values: { stringValue?: string }[] };
  };
}

/** One exported span, with its attributes and its resource's made plain. */
export interface CollectedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  status: { code?: number };
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  events: { name: string }[];
}

function plain(attributes: OtlpAttribute[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of attributes) {
    if (value.arrayValue) out[key] = value.arrayValue.values.map((v) => v.stringValue);
    else if (value.intValue !== undefined) out[key] = Number(value.intValue);
    else out[key] = value.stringValue ?? value.boolValue;
  }
  return out;
}

/**
 * A stand-in OpenTelemetry collector on 127.0.0.1 speaking OTLP/HTTP with JSON bodies
 * (`POST /v1/traces`, an `ExportTraceServiceRequest`; answers an empty `ExportTraceServiceResponse`).
 */
export async function startCollector() {
  const spans: CollectedSpan[] = [];
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      paths.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: {
          resource: { attributes: OtlpAttribute[] };
          scopeSpans: { spans: (Omit<CollectedSpan, 'attributes' | 'resource'> & { attributes: OtlpAttribute[] })[] }[];
        }[];
      };
      for (const rs of body.resourceSpans ?? []) {
        const resource = plain(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? [])
          for (const span of ss.spans ?? [])
            spans.push({
              ...span,
              parentSpanId: span.parentSpanId ?? '',
              attributes: plain(span.attributes),
              resource,
              events: span.events ?? [],
            });
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    paths,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
