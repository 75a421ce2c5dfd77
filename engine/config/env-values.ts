import { WaymarkError } from '@waymark/sdk';
import { parseUrlText, URL_TEXT_RULE } from '../http/url-text.js';

/** A bad environment value: start-up stops with a message naming the variable. */
export class ConfigError extends WaymarkError {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super('config_invalid', `${variable}: ${message}`);
  }
}

export type Env = Record<string, string | undefined>;

/** A variable as read: trimmed, and empty the same as unset. */
export function text(env: Env, name: string): string | null {
  const value = env[name]?.trim();
  return value ? value : null;
}

export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

export function boolean(env: Env, name: string): boolean {
  const raw = text(env, name)?.toLowerCase();
  if (raw === undefined || raw === null || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

export function url(env: Env, name: string, protocols: string[]): string | null {
  const raw = text(env, name);
  if (raw === null) return null;
  const parsed = parseUrlText(raw);
  if (!parsed) throw new ConfigError(name, `is not a URL ${URL_TEXT_RULE}: ${JSON.stringify(raw)}`);
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return raw;
}
