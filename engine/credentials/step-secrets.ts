import type { CredentialsService, JsonObject } from '@waymark/sdk';

/** What a credential's value becomes wherever a step leaves it. */
export const REDACTED = '[redacted]';

/**
 * Shorter strings of a credential's data (a port, a region code, `"true"`) are not taken for
 * secrets: hiding each of their occurrences would garble the step's output for nothing.
 * Credential types mark no field as public (SDK.md), so every longer string is one.
 */
const MIN_SECRET_LENGTH = 6;

/**
 * The credential values one step read through `ctx.credentials.get`, and those a service used
 * for it whose failure may echo them (a message's sender: `sendSecrets`), hidden from what the
 * step leaves behind (SDK.md "Credentials": never in a step's output, a log line or an error
 * message): its output, its error and its `ctx.log` lines. A step that reads no credential
 * keeps none, and nothing it leaves is looked at.
 *
 * @example
 * const secrets = new StepSecrets();
 * const credentials = secrets.watch(services.credentials); // `ctx.credentials`
 * await credentials.get(id); // { key: 'sk-0123456789' }
 * secrets.text('Acme refused sk-0123456789'); // 'Acme refused [redacted]'
 */
export class StepSecrets {
  /** Longest first, so that a secret holding another is hidden whole. */
  #values: string[] | null = null;

  /** The secrets of `data` alone (what a send outside any step logged in with). */
  static of(data: unknown): StepSecrets {
    const secrets = new StepSecrets();
    secrets.keep(data);
    return secrets;
  }

  /** Whether the step read no credential: nothing it leaves needs looking at. */
  get none(): boolean {
    return this.#values === null;
  }

  /** `credentials`, keeping the string values of each credential it returns. */
  watch(credentials: CredentialsService): CredentialsService {
    return {
      get: async <T extends JsonObject = JsonObject>(credentialId: string): Promise<T> => {
        const data = await credentials.get<T>(credentialId);
        this.keep(data);
        return data;
      },
    };
  }

  /** `text` with each secret in it replaced by `[redacted]`. */
  text(text: string): string {
    let hidden = text;
    for (const secret of this.#values ?? []) if (hidden.includes(secret)) hidden = hidden.replaceAll(secret, REDACTED);
    return hidden;
  }

  /**
   * A copy of `value` with the secrets hidden in every string and key, at any depth; an
   * `Error` (a log line's `err`) stays an error of its class, its message and stack hidden.
   */
  value<T>(value: T): T {
    return this.none ? value : (this.#copy(value, new Set()) as T);
  }

  #copy(value: unknown, seen: Set<object>): unknown {
    if (typeof value === 'string') return this.text(value);
    if (!value || typeof value !== 'object' || seen.has(value)) return value;
    seen.add(value);
    if (Array.isArray(value)) return value.map((item) => this.#copy(item, seen));
    const prototype = Object.getPrototypeOf(value);
    const error = value instanceof Error;
    if (!error && prototype !== Object.prototype && prototype !== null) return value;
    const copy: Record<string, unknown> = Object.create(prototype);
    if (error) {
      for (const key of ['message', 'stack', 'cause'] as const)
        if (key in value)
          Object.defineProperty(copy, key, { value: this.#copy(value[key], seen), writable: true, configurable: true });
    }
    for (const [key, item] of Object.entries(value)) copy[this.text(key)] = this.#copy(item, seen);
    return copy;
  }

  /**
   * Keeps the strings of `data` as secrets too: what a service used for the step without handing
   * it to the node (a sending credential's data, `SMTP_URL`'s login), once it may have come back
   * in what the step leaves.
   */
  keep(data: unknown): void {
    const found = new Set(this.#values);
    const walk = (value: unknown): void => {
      if (typeof value === 'string') {
        if (value.length >= MIN_SECRET_LENGTH) found.add(value);
      } else if (value && typeof value === 'object') for (const item of Object.values(value)) walk(item);
    };
    walk(data);
    if (found.size) this.#values = [...found].sort((a, b) => b.length - a.length);
  }
}
