import { definePackage } from '@waymark/sdk';
import send from './send.js';
import smtpCredential from './smtp-credential.js';

/** Email: sending with tracked links, opens and unsubscribes. */
export default definePackage({
  name: '@waymark/nodes-email',
  version: '0.1.0',
  nodes: [send],
  credentials: [smtpCredential],
});
