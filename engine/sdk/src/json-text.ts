/**
 * JSON text read as `JSON.parse` reads it, less a leading byte order mark (U+FEFF). RFC 8259
 * §8.1 lets a parser ignore one, and senders on Windows and .NET (`Encoding.UTF8`) write one;
 * `JSON.parse` refused such a body as not JSON. Throws as `JSON.parse` does.
 *
 * @example
 * parseJsonText('\uFEFF{"ok":true}') // { ok: true }
 */
export function parseJsonText(text: string): unknown {
  return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}
