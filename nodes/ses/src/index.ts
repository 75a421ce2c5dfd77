import { definePackage } from '@waymark/sdk';
import account from './credential.js';

/** Amazon SES: email through the SES v2 API, and its bounce, complaint and delivery events by SNS. */
export default definePackage({
  name: '@waymark/nodes-ses',
  version: '0.1.0',
  nodes: [],
  credentials: [account],
});
