import type { MessagesService } from '@waymark/sdk';
import type { StepScope } from '../services/step-scope.js';
import { sendOne } from './send/send-messages.js';

/**
 * `ctx.messages`: the one gate every channel sends through (engine/messages/send/send-messages.ts).
 * A step of a batch sends with the batch's other sends of the same turn; a step alone, alone.
 * Email gets tracked links, an open pixel and (marketing) unsubscribe headers, and goes through
 * its credential, else `deliver`, else `SMTP_URL`, else the outbox. (Channels part.)
 */
export function createMessagesService(scope: StepScope): MessagesService {
  return {
    send(asked) {
      return scope.batch ? scope.batch.send(scope, asked) : sendOne({ scope, asked });
    },
  };
}
