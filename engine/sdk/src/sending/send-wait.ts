import type { TimeWaitResult } from '../context.js';
import type { SendResult } from '../services.js';

/**
 * The wait a send that came back `delayed` asks for, or null when it was not delayed. Quiet
 * hours park the run (`waiting`) until they end; a send rate holds it `running` until the
 * message's turn (`held`, contracts/sending.md). Either way the node sends again on resume.
 *
 * @example
 * const result = await ctx.messages.send({ channel: 'sms', category: 'marketing', text });
 * const wait = sendWait(result);
 * if (wait) return wait;
 */
export function sendWait(result: SendResult): TimeWaitResult | null {
  if (result.status !== 'delayed' || !result.until) return null;
  return result.reason === 'send-rate'
    ? { wait: { until: result.until, held: true } }
    : { wait: { until: result.until } };
}
