import type { NodeSettings } from '../api/types/journeys.ts';

type Retry = NonNullable<NodeSettings['retry']>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A node's settings as its form reads them. A draft takes any JSON as a node's settings, so a
 * string or an array (or a `retry` that is one) may be stored: read as none, it shows an empty
 * form, and a change saves what the form sets, not the characters of a string spread into keys.
 */
export function nodeSettingsOf(value: unknown): NodeSettings {
  if (!isObject(value)) return {};
  const { retry, ...rest } = value as NodeSettings & Record<string, unknown>;
  return isObject(retry) ? { ...rest, retry } : rest;
}

/** A retry field's value for its input: only a number or a string shows; anything else is blank. */
export function retryFieldText(retry: Retry | undefined, key: keyof Retry): string {
  const value: unknown = retry?.[key];
  return typeof value === 'number' || typeof value === 'string' ? String(value) : '';
}
