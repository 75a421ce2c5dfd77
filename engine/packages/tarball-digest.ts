import { createHash } from 'node:crypto';
import ssri, { type IntegrityLike } from 'ssri';

/** What a packument's `dist` announces of a tarball's bytes. */
export interface AnnouncedDigest {
  /** Subresource Integrity: one or more `<algorithm>-<base64>`, space-separated. */
  integrity: string | null;
  /** The older field: sha1 of the bytes, hex. */
  shasum: string | null;
}

/** `sha512-<base64>` of a tarball's bytes, as npm's `dist.integrity` writes it. */
export function integrityOf(bytes: Buffer): string {
  return ssri.fromData(bytes, { algorithms: ['sha512'] }).toString();
}

/** The algorithms npm's registry writes; hashes of any other are passed over. */
const ALGORITHMS = new Set(['sha512', 'sha384', 'sha256', 'sha1']);

/** The hashes of `integrity` in algorithms we check, or null when it has none. */
function checkable(integrity: string | null): IntegrityLike | null {
  // null for text that holds no hash at all, whatever its type says.
  const parsed: IntegrityLike | null = integrity ? ssri.parse(integrity) : null;
  const hashes = Object.entries(parsed ?? {}).filter(([algorithm]) => ALGORITHMS.has(algorithm));
  return hashes.length ? Object.fromEntries(hashes) : null;
}

/**
 * Why `bytes` are not the tarball `announced` describes, or null when they are. As npm
 * checks it: the integrity's strongest algorithm decides (a hash of it must match; weaker ones
 * are not consulted), else `shasum`; a tarball announced with neither is refused.
 *
 * @example
 * digestProblem(bytes, { integrity: 'sha512-…', shasum: null }) // → null
 */
export function digestProblem(bytes: Buffer, announced: AnnouncedDigest): string | null {
  const integrity = checkable(announced.integrity);
  if (integrity)
    return ssri.checkData(bytes, integrity)
      ? null
      : `the registry's tarball does not match its integrity ${announced.integrity}`;
  if (announced.shasum)
    return createHash('sha1').update(bytes).digest('hex') === announced.shasum.toLowerCase()
      ? null
      : `the registry's tarball does not match its shasum ${announced.shasum}`;
  return 'the registry announces no integrity or shasum for its tarball';
}
