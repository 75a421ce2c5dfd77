/** What a credential's value becomes wherever a step leaves it. */
export const REDACTED = '[redacted]';

/**
 * Shorter secrets (a login `ops`) are not looked for: hiding each of their occurrences would
 * garble the step's output for nothing.
 */
const MIN_SECRET_LENGTH = 6;

/**
 * A word that may be base64 (standard or URL-safe): an SMTP server echoing `AUTH PLAIN`'s
 * `\0user\0password` or `AUTH LOGIN`'s user, a `Basic` header. A secret encoded is 8+ characters.
 */
const BASE64_WORD = /[A-Za-z0-9+/_-]{8,}={0,2}/g;

/**
 * The secrets of the credentials one step read through `ctx.credentials.get`
 * (`createCredentialsService`), and those a service used for it whose failure may echo them (a
 * message's sender: `sendSecrets`), hidden from what the step leaves behind (SDK.md
 * "Credentials": never in a step's output, a log line or an error message): its output, its
 * error and its `ctx.log` lines. Which strings of a credential are secret is its type's to say
 * (`credentialSecrets`). A step that reads no credential keeps none, and nothing it leaves is
 * looked at.
 *
 * @example
 * const secrets = StepSecrets.of(['sk-0123456789']);
 * secrets.text('Acme refused sk-0123456789'); // 'Acme refused [redacted]'
 * secrets.text('535 bad login c2stMDEyMzQ1Njc4OQ=='); // '535 bad login [redacted]' (base64 of it)
 */
export class StepSecrets {
  /** Longest first, so that a secret holding another is hidden whole. */
  #values: string[] | null = null;
  #encoded: Buffer[] = [];

  /** These secrets alone (what a send outside any step logged in with). */
  static of(values: readonly string[]): StepSecrets {
    const secrets = new StepSecrets();
    secrets.keep(values);
    return secrets;
  }

  /** Whether the step read no credential: nothing it leaves needs looking at. */
  get none(): boolean {
    return this.#values === null;
  }

  /** `text` with each secret in it, as written or inside a base64 word, replaced by `[redacted]`. */
  text(text: string): string {
    if (!this.#values) return text;
    let hidden = text;
    for (const secret of this.#values) if (hidden.includes(secret)) hidden = hidden.replaceAll(secret, REDACTED);
    return hidden.replace(BASE64_WORD, (word) => (this.#holdsEncoded(word) ? REDACTED : word));
  }

  /**
   * Whether `word` decodes to bytes holding a secret. Decoded from each of its first four
   * characters, so that a base64 text glued to a word before it (`user/AHVzZXI…`) is read in
   * its own 4-character groups.
   */
  #holdsEncoded(word: string): boolean {
    for (let start = 0; start < 4 && word.length - start >= 8; start++) {
      const bytes = Buffer.from(word.slice(start), 'base64');
      if (this.#encoded.some((secret) => bytes.includes(secret))) return true;
    }
    return false;
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
   * Keeps `values` as secrets too: a credential's secrets the node read, or what a service used
   * for the step without handing it to the node (a sending credential's secrets, `SMTP_URL`'s
   * login), once it may have come back in what the step leaves.
   */
  keep(values: readonly string[]): void {
    const found = new Set(this.#values);
    for (const value of values) if (value.length >= MIN_SECRET_LENGTH) found.add(value);
    if (!found.size) return;
    this.#values = [...found].sort((a, b) => b.length - a.length);
    this.#encoded = this.#values.map((secret) => Buffer.from(secret));
  }
}
