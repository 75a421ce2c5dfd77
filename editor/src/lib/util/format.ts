import { ApiError } from '../api/client.ts';

/** Short local date-time for tables; the API speaks UTC ISO strings. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/**
 * Whom a run is for, as people tell runs apart: the contact's email when the API gave it (a
 * reader of contacts), else the contact's full id (ids made the same minute share a prefix).
 */
export function contactName(run: { contactId: string | null; contactEmail?: string | null }): string {
  return run.contactEmail ?? run.contactId ?? 'anonymous';
}

export function pretty(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value, null, 2);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An error's message with what the server said in its `details` (a 400's reasons), said once. */
export function errorWithDetails(error: unknown): string {
  const message = errorMessage(error);
  const details = error instanceof ApiError ? error.details.map((d) => d.message).join('; ') : '';
  return details && !message.includes(details) ? `${message}: ${details}` : message;
}
