// The load generator, in a process of its own so that the server's CPU per request can be
// measured apart from it. Reads a LoadSpec from the JSON file argv[2], prints autocannon's result.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import type { LoadSpec } from './load.js';

const spec = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as LoadSpec;
let n = 0;
const result = await autocannon({
  url: spec.url,
  method: spec.method,
  headers: spec.headers,
  connections: spec.connections,
  pipelining: 1,
  duration: spec.seconds,
  requests: [
    {
      setupRequest: (req) => {
        const i = n++;
        const body = spec.bodies[i % spec.bodies.length] ?? '';
        return { ...req, body: body.replaceAll('@@N@@', String(i)) };
      },
    },
  ],
});
process.stdout.write(JSON.stringify(result));
