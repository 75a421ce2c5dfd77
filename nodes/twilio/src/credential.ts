import { defineCredential, endpointSchema } from '@waymark/sdk';
import { answerTwilio, parseTwilio, verifyTwilio } from './events.js';
import { sendTwilio } from './send.js';

/** A Twilio account: sends SMS from a number or a messaging service; its auth token signs callbacks. */
export default defineCredential({
  type: 'twilio.account',
  title: 'Twilio account',
  description: 'Sends SMS through Twilio and takes its message status callbacks and incoming messages.',
  schema: {
    type: 'object',
    properties: {
      // No pattern of Twilio's SIDs (AC or MG and 32 hex): the contract asks none, and a
      // stand-in's or the docs' placeholder (ACXXXX…) must be taken. The SID is URL-encoded.
      accountSid: { type: 'string', minLength: 1, writeOnly: true, title: 'Account SID' },
      authToken: { type: 'string', minLength: 1, writeOnly: true, title: 'Auth token' },
      from: { type: 'string', minLength: 1, title: 'From number (E.164) or sender id' },
      messagingServiceSid: { type: 'string', minLength: 1, title: 'Messaging service SID' },
      endpoint: endpointSchema,
    },
    required: ['accountSid', 'authToken'],
    // Exactly one of a number and a messaging service.
    oneOf: [
      { required: ['from'], not: { required: ['messagingServiceSid'] } },
      { required: ['messagingServiceSid'], not: { required: ['from'] } },
    ],
    additionalProperties: false,
  },
  sender: { channel: 'sms', send: sendTwilio },
  events: { provider: 'twilio', verify: verifyTwilio, parse: parseTwilio, answer: answerTwilio },
});
