import { WaymarkError } from '@waymark/sdk';

/**
 * 502 `trigger_failed`: a package trigger's function threw, passed its time limit, its thread
 * crashed, or it answered what is not a trigger's answer. Nothing started.
 */
export class TriggerFailedError extends WaymarkError {
  constructor(message: string, options?: ErrorOptions) {
    super('trigger_failed', message, [], options);
  }
}
