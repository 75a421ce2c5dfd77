/** What a credential's value becomes wherever a step leaves it. */
export const REDACTED = '[redacted]';

/**
 * A secret shorter than this (a login `ops`, a short key) is hidden where it stands whole, not
 * inside a longer run of letters and digits: `user ops`, `ops:pw@host` and AUTH PLAIN's
 * `\0ops\0` lose it, `stops` keeps its letters (they tell nothing of the secret, and hiding them
 * would garble every word holding them). A longer one is hidden wherever it occurs.
 */
const WHOLE_WORD_BELOW = 6;

const isWordByte = (byte: number | undefined) =>
  byte !== undefined && ((byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122));

/** One secret as it is looked for: as text, as bytes, and as a whole word when it is short. */
interface Secret {
  text: string;
  bytes: Buffer;
  /** For a short secret: its whole-word occurrences. */
  word: RegExp | null;
}

function secretOf(text: string): Secret {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const word = text.length < WHOLE_WORD_BELOW ? new RegExp(`(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])`, 'g') : null;
  return { text, bytes: Buffer.from(text), word };
}

/** Whether `bytes` hold `secret` (a short one only whole, between bytes that are no letter or digit). */
function holds(bytes: Buffer, secret: Secret): boolean {
  if (!secret.word) return bytes.includes(secret.bytes);
  for (let at = bytes.indexOf(secret.bytes); at !== -1; at = bytes.indexOf(secret.bytes, at + 1))
    if (!isWordByte(bytes[at - 1]) && !isWordByte(bytes[at + secret.bytes.length])) return true;
  return false;
}

/**
 * A word that may be base64 (standard or URL-safe): an SMTP server echoing `AUTH PLAIN`'s
 * `\0user\0password` or `AUTH LOGIN`'s user, a `Basic` header. A secret of 6+ characters encoded
 * is 8+; a shorter one is found inside the longer word it is encoded with (`\0ops\0password`).
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
  #secrets: Secret[] | null = null;

  /** These secrets alone (what a send outside any step logged in with). */
  static of(values: readonly string[]): StepSecrets {
    const secrets = new StepSecrets();
    secrets.keep(values);
    return secrets;
  }

  /** Whether the step read no credential: nothing it leaves needs looking at. */
  get none(): boolean {
    return this.#secrets === null;
  }

  /** `text` with each secret in it, as written or inside a base64 word, replaced by `[redacted]`. */
  text(text: string): string {
    if (!this.#secrets) return text;
    let hidden = text;
    for (const secret of this.#secrets)
      if (hidden.includes(secret.text)) hidden = hidden.replaceAll(secret.word ?? secret.text, REDACTED);
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
      if (this.#secrets?.some((secret) => holds(bytes, secret))) return true;
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
    const found = new Set(this.#secrets?.map((secret) => secret.text));
    for (const value of values) if (value !== '') found.add(value);
    if (!found.size) return;
    this.#secrets = [...found].sort((a, b) => b.length - a.length).map(secretOf);
  }
}
