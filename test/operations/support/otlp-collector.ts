import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeTraceRequest } from './otlp-protobuf.js';

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

const PROTOBUF = 'application/x-protobuf';

/**
 * A stand-in OpenTelemetry collector on 127.0.0.1 speaking OTLP/HTTP (`POST /v1/traces`, an
 * `ExportTraceServiceRequest`, gzipped or not): a JSON body, or a protobuf one
 * (`application/x-protobuf`), which it decodes. Answers an empty `ExportTraceServiceResponse`
 * in the request's encoding. `headers` keeps each request's headers.
 */
export async function startCollector() {
  const spans: CollectedSpan[] = [];
  const paths: string[] = [];
  const headers: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      paths.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      headers.push(req.headers);
      const raw = Buffer.concat(chunks);
      const bytes = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      const protobuf = req.headers['content-type'] === PROTOBUF;
      const body = (protobuf ? decodeTraceRequest(bytes) : JSON.parse(bytes.toString('utf8'))) as {
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
      // An empty ExportTraceServiceResponse: `{}` in JSON, no bytes in protobuf.
      res.writeHead(200, { 'content-type': protobuf ? PROTOBUF : 'application/json' });
      res.end(protobuf ? '' : '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    paths,
    headers,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
