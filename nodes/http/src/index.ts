import { definePackage } from '@waymark/sdk';
import request from './request.js';

/** Outgoing HTTP calls with SSRF protection and idempotency keys. */
export default definePackage({ name: '@waymark/nodes-http', version: '0.1.0', nodes: [request] });
