import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar';

/** `sha512-<base64>` of a tarball's bytes, as npm's `dist.integrity` writes it. */
export function integrityOf(bytes: Buffer): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

/**
 * Unpacks an `npm pack` tarball (gzip, entries under one top folder, `package/` by npm) into
 * `dir`, dropping the top folder. Only files and folders are written: links, devices and
 * paths leaving `dir` are skipped, and modes are not kept beyond read/write. Throws when the
 * bytes are not a gzip tar.
 *
 * @example
 * await unpackTarball(bytes, '/tmp/x'); // → /tmp/x/package.json …
 */
export async function unpackTarball(bytes: Buffer, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  let entries = 0;
  await pipeline(
    Readable.from([bytes]),
    extract({
      cwd: dir,
      strip: 1,
      strict: true,
      preserveOwner: false,
      noChmod: true,
      filter: (_path, entry) => {
        const type = 'type' in entry ? entry.type : 'File';
        const keep = type === 'File' || type === 'OldFile' || type === 'Directory';
        if (keep) entries++;
        return keep;
      },
    }),
  );
  if (entries === 0) throw new Error('the tarball holds no files');
}
