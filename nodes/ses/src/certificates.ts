import { createPublicKey, type KeyObject } from 'node:crypto';
import type { HttpClient } from '@waymark/sdk';

/**
 * Signing certificates kept at once. SNS signs with one certificate per region at a time (a
 * handful of URLs even across a rotation), so 16 holds every real one; the bound is for
 * forged events naming many certificate URLs on SNS hosts, which must not grow the process.
 */
export const CERTIFICATES_KEPT = 16;

/**
 * How long a fetched certificate is trusted before it is fetched again: an hour turns a burst
 * of events (or of forged ones) into one fetch, and still notices a rotated or revoked
 * certificate at SNS's URL within the hour.
 */
export const CERTIFICATE_LIFETIME_MS = 60 * 60 * 1000;

interface Kept {
  /** The fetch, shared by the events that ask while it is under way; null when it failed. */
  key: Promise<KeyObject | null>;
  expiresAt: number;
}

/**
 * Certificates by URL, in module state: the place engine/sdk/README.md gives a package for a
 * cache, and where the email package keeps its SMTP pools. A certificate is public and the
 * same for every workspace, so one copy serves them all.
 * A Map iterates in insertion order, so its first entry is the oldest, evicted first.
 */
const kept = new Map<string, Kept>();

async function fetchKey(url: string, http: HttpClient): Promise<KeyObject | null> {
  try {
    const res = await http.request({ method: 'GET', url, timeoutMs: 5000, maxBytes: 64 * 1024 });
    return res.status === 200 && typeof res.body === 'string' ? createPublicKey(res.body) : null;
  } catch {
    return null; // no certificate, or one that does not parse, verifies nothing
  }
}

/**
 * The public key of the certificate at `url` (already checked to be on an SNS host): the kept
 * one while it is fresh, else fetched. A failed fetch is forgotten, so the next event fetches
 * again rather than being refused for an hour after one lost request.
 */
export function certificateKey(url: string, http: HttpClient): Promise<KeyObject | null> {
  const now = Date.now();
  const hit = kept.get(url);
  if (hit && hit.expiresAt > now) return hit.key;
  kept.delete(url);
  const key = fetchKey(url, http);
  kept.set(url, { key, expiresAt: now + CERTIFICATE_LIFETIME_MS });
  while (kept.size > CERTIFICATES_KEPT) {
    const oldest = kept.keys().next().value;
    if (oldest === undefined) break;
    kept.delete(oldest);
  }
  void key.then((k) => {
    if (k === null && kept.get(url)?.key === key) kept.delete(url);
  });
  return key;
}
