import { definePackage } from '@waymark/sdk';
import account from './credential.js';

/** Twilio: SMS through the Messages API, and its signed status callbacks. */
export default definePackage({
  name: '@waymark/nodes-twilio',
  version: '0.1.0',
  nodes: [],
  credentials: [account],
});
