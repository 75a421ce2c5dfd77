import type { Logger as NodeLogger } from '@waymark/sdk';
import type { Level, Logger } from 'pino';
import type { StepSecrets } from '../credentials/step-secrets.js';

/**
 * A node's `ctx.log`: a child logger bound to the step's fields (`stepLogFields`), made at the
 * first line the logger's level lets through. A line below the level costs nothing: pino's
 * `child` serializes its bindings, and a split logs a debug line at every step.
 *
 * @example
 * const log = new StepLogger(runtime.logger, () => stepLogFields(run, step, span));
 * log.debug({ variant }, 'split assigned a variant'); // at level info: no child made
 */
export class StepLogger implements NodeLogger {
  #child: Logger | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly fields: () => object,
    /** The credential values the step read: hidden from each line (SDK.md "Credentials"). */
    private readonly secrets?: StepSecrets,
  ) {}

  debug(obj: object | string, msg?: string): void {
    this.#write('debug', obj, msg);
  }

  info(obj: object | string, msg?: string): void {
    this.#write('info', obj, msg);
  }

  warn(obj: object | string, msg?: string): void {
    this.#write('warn', obj, msg);
  }

  error(obj: object | string, msg?: string): void {
    this.#write('error', obj, msg);
  }

  #write(level: Level, obj: object | string, msg: string | undefined): void {
    if (!this.logger.isLevelEnabled(level)) return;
    this.#child ??= this.logger.child(this.fields());
    const secrets = this.secrets?.none === false ? this.secrets : undefined;
    const line = secrets ? secrets.value(obj) : obj;
    // The arguments as the node gave them (pino reads a second argument as the message).
    if (msg === undefined) this.#child[level](line as object);
    else this.#child[level](line as object, secrets ? secrets.text(msg) : msg);
  }
}
