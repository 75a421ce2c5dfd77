import { definePackage } from '@waymark/sdk';
import domain from './credential.js';

/** Mailgun: email through a Mailgun sending domain, and its delivered, failed and complained webhooks. */
export default definePackage({
  name: '@waymark/nodes-mailgun',
  version: '0.1.0',
  nodes: [],
  credentials: [domain],
});
