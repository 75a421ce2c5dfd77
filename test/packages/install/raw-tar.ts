import { gzipSync } from 'node:zlib';

/** One entry of a hand-made tar: a file, a folder, or a link that `npm pack` would never write. */
export interface RawEntry {
  /** The path as written in the header, unchecked (`../x`, `/etc/x` included). */
  path: string;
  type?: 'file' | 'directory' | 'symlink' | 'hardlink';
  /** A link's target. */
  linkpath?: string;
  body?: string | Buffer;
}

const TYPE_FLAGS = { file: '0', hardlink: '1', symlink: '2', directory: '5' } as const;

function header(entry: RawEntry, size: number): Buffer {
  const block = Buffer.alloc(512);
  const put = (text: string, offset: number, length: number) => block.write(text, offset, length, 'utf8');
  const octal = (n: number, length: number) => `${n.toString(8).padStart(length - 1, '0')}\0`;
  put(entry.path, 0, 100);
  put(octal(entry.type === 'directory' ? 0o755 : 0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(0, 12), 136, 12);
  put(TYPE_FLAGS[entry.type ?? 'file'], 156, 1);
  put(entry.linkpath ?? '', 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  // The checksum is computed with its own field read as spaces.
  put('        ', 148, 8);
  let sum = 0;
  for (const byte of block) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return block;
}

/**
 * A gzipped tar of exactly the entries given, as an attacker would write it: paths and link
 * targets are not checked, unlike `tar.create`, which refuses to write most of them.
 *
 * @example
 * rawTarball([{ path: 'package/../../x', body: 'pwned' }]);
 */
export function rawTarball(entries: readonly RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? '');
    const size = entry.type === 'file' || entry.type === undefined ? body.length : 0;
    blocks.push(header(entry, size));
    if (size) blocks.push(body, Buffer.alloc((512 - (size % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}
