/** What one package version may unpack to, its dependencies included (`Config.packageLimits`). */
export interface UnpackLimits {
  bytes: number;
  entries: number;
}

const size = (bytes: number) =>
  bytes % 2 ** 20 === 0 ? `${bytes / 2 ** 20} MiB` : bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;

/**
 * Counts what the tarballs of one package version unpack to, entry by entry as their headers
 * are read, so an unpacking stops at the first entry past a limit rather than after writing
 * it: a tarball of a few hundred KiB can hold gigabytes of zeros. Every entry counts, those
 * skipped (links) too, since each is decompressed all the same.
 *
 * @example
 * const budget = new UnpackBudget({ bytes: 100 * 2 ** 20, entries: 10_000 });
 * budget.take(entry.size); // → null, or the limit it passed, in words
 */
export class UnpackBudget {
  #bytes = 0;
  #entries = 0;

  constructor(readonly limits: UnpackLimits) {}

  /** Counts one entry of `bytes`; returns the limit it passes, or null. */
  take(bytes: number): string | null {
    this.#bytes += bytes;
    this.#entries += 1;
    if (this.#bytes > this.limits.bytes)
      return `the package and its dependencies unpack to more than ${size(this.limits.bytes)} (WAYMARK_PACKAGE_MAX_UNPACKED_BYTES)`;
    if (this.#entries > this.limits.entries)
      return `the package and its dependencies hold more than ${this.limits.entries} files and folders (WAYMARK_PACKAGE_MAX_FILES)`;
    return null;
  }
}
