import { definePackage } from '@waymark/sdk';
import gatewayCredential from './gateway-credential.js';
import send from './send.js';

/** SMS through any HTTP gateway. */
export default definePackage({
  name: '@waymark/nodes-sms',
  version: '0.1.0',
  nodes: [send],
  credentials: [gatewayCredential],
});
