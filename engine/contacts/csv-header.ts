import { Readable } from 'node:stream';
import { type ErrorDetail, ValidationError } from '@waymark/sdk';
import { parse } from 'csv-parse/sync';

/** The CSV columns that are identity fields, not attributes (API.md "Contacts"). */
export const CSV_IDENTITY = new Set(['email', 'phone', 'externalId', 'timezone']);
// An identity column is named in any case (`Email`, `EXTERNALID`): an `Email` header made
// anonymous contacts with an `Email` attribute.
const IDENTITY_BY_LOWER = new Map([...CSV_IDENTITY].map((name) => [name.toLowerCase(), name]));
/**
 * The CSV header's column names (trimmed by the parser), identity ones spelt as stored. A column
 * with no name or a name met before would drop or overwrite its cells unseen: the import fails.
 */
export function csvColumns(header: string[]): string[] {
  const columns = header.map((name) => IDENTITY_BY_LOWER.get(name.toLowerCase()) ?? name);
  const problems = columns.flatMap((name, i): ErrorDetail[] => {
    const first = columns.indexOf(name);
    if (!name) return [{ message: `header column ${i + 1} has no name` }];
    if (first < i) return [{ message: `header column ${i + 1} "${header[i]}" repeats column ${first + 1}` }];
    return [];
  });
  if (problems.length) throw new ValidationError('the CSV header names each column once', problems);
  return columns;
}

/** The delimiters a CSV import reads, in the order a tie between them is decided. */
const DELIMITERS = [',', ';', '\t'] as const;
export type CsvDelimiter = (typeof DELIMITERS)[number];

// A header is one line of names: past this many bytes without a line end it is read as it is.
const HEADER_MAX = 64 * 1024;

/** How many columns `head`'s first record has with `delimiter`, or 0 when it is not CSV so read. */
function columnCount(head: string, delimiter: CsvDelimiter): number {
  try {
    const [record] = parse(head, { bom: true, delimiter, to: 1, relax_column_count: true }) as string[][];
    return record?.length ?? 0;
  } catch {
    return 0;
  }
}

/**
 * The delimiter of the header row `head`: the one that reads it as the most columns, quoted
 * names respected (`"plan; tier"` is one name). Excel in a European locale writes `;`; a header
 * of one column is read with `,`. csv-parse's own `delimiter_auto` counts characters inside
 * quotes, and fails on a BOM or any letter past ASCII, so the parser is asked per candidate.
 */
export function headerDelimiter(head: string): CsvDelimiter {
  let best: CsvDelimiter = ',';
  let most = 0;
  for (const delimiter of DELIMITERS) {
    const count = columnCount(head, delimiter);
    if (count > most) [best, most] = [delimiter, count];
  }
  return best;
}

/**
 * Reads `stream` up to the end of its first line (at most `HEADER_MAX` bytes) and answers that
 * line's delimiter with a stream of the whole text, the line included, for the parser.
 */
export async function withHeaderDelimiter(stream: Readable): Promise<{ delimiter: CsvDelimiter; body: Readable }> {
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let size = 0;
  let ended = false;
  while (size < HEADER_MAX && !head.some((chunk) => chunk.includes(0x0a))) {
    const next = await chunks.next();
    if (next.done) {
      ended = true;
      break;
    }
    head.push(next.value);
    size += next.value.length;
  }
  const text = Buffer.concat(head).toString('utf8');
  const lineEnd = text.search(/\r?\n/);
  const delimiter = headerDelimiter(lineEnd < 0 ? text : text.slice(0, lineEnd));
  async function* whole(): AsyncGenerator<Buffer> {
    yield* head;
    if (ended) return;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
  }
  return { delimiter, body: Readable.from(whole(), { objectMode: false }) };
}
