import { definePackage } from '@waymark/sdk';
import account from './credential.js';

/** SendGrid: email through the v3 Mail Send API, and its signed Event Webhook. */
export default definePackage({
  name: '@waymark/nodes-sendgrid',
  version: '0.1.0',
  nodes: [],
  credentials: [account],
});
