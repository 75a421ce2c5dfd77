import { mkdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { WaymarkError } from '@waymark/sdk';
import { extract } from 'tar';
import { unpackLimit } from './errors.js';
import type { UnpackBudget } from './unpack-budget.js';

/**
 * Unpacks an `npm pack` tarball (gzip, entries under one top folder, `package/` by npm) into
 * `dir`, dropping the top folder. Only files and folders are written: links, devices and
 * paths leaving `dir` are skipped, and modes are not kept beyond read/write. Each entry is
 * counted in `budget` before it is written; the first past a limit stops the unpacking
 * (422 `invalid_package` naming the limit; what was written stays for the caller to remove).
 * Throws when the bytes are not a gzip tar.
 *
 * @example
 * await unpackTarball(bytes, '/tmp/x', new UnpackBudget(config.packageLimits)); // → /tmp/x/package.json …
 */
export async function unpackTarball(bytes: Buffer, dir: string, budget: UnpackBudget): Promise<void> {
  await mkdir(dir, { recursive: true });
  let entries = 0;
  let refused: WaymarkError | null = null;
  const unpack = extract({
    cwd: dir,
    strip: 1,
    strict: true,
    preserveOwner: false,
    noChmod: true,
    filter: (_path, entry) => {
      const passed = budget.take('size' in entry ? entry.size : 0);
      if (passed) {
        refused ??= unpackLimit(passed);
        // tar rejects the pipeline with this error (and adds fields to it): ours is kept apart.
        unpack.abort(new Error(passed));
        return false;
      }
      const type = 'type' in entry ? entry.type : 'File';
      const keep = type === 'File' || type === 'OldFile' || type === 'Directory';
      if (keep) entries++;
      return keep;
    },
  });
  try {
    await pipeline(Readable.from([bytes]), unpack);
  } catch (error) {
    throw refused ?? error;
  }
  if (entries === 0) throw new Error('the tarball holds no files');
}
