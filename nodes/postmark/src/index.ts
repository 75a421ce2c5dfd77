import { definePackage } from '@waymark/sdk';
import server from './credential.js';

/** Postmark: email through a Postmark server, and its delivery, bounce and spam complaint webhooks. */
export default definePackage({
  name: '@waymark/nodes-postmark',
  version: '0.1.0',
  nodes: [],
  credentials: [server],
});
