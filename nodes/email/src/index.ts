import { definePackage } from '@waymark/sdk';
import dkimCredential from './dkim-credential.js';
import send from './send.js';
import smtpCredential from './smtp-credential.js';

/** Email: sending with tracked links, opens and unsubscribes, over pooled SMTP with DKIM. */
export default definePackage({
  name: '@waymark/nodes-email',
  version: '0.1.0',
  nodes: [send],
  credentials: [smtpCredential, dkimCredential],
});
