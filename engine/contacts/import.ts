import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { type ErrorDetail, type JsonObject, type JsonValue, WaymarkError } from '@waymark/sdk';
import { parse } from 'csv-parse';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { prototypeKeys } from '../db/prototype-keys.js';
import { analyzeGrownTables } from '../db/statistics.js';
import { findUnstorableText } from '../db/storable-text.js';
import type { WithinChange } from '../db/transaction.js';
import { pointerKey } from '../graph/pointer.js';
import { declareDeliverable } from '../inbound/suppression.js';
import { CSV_IDENTITY, csvColumns, withHeaderDelimiter } from './csv-header.js';
import { type ContactInput, isObject, type NormalizedInput, normalizeInput } from './identity/normalize.js';
import { upsertContacts } from './identity/upsert.js';

export interface ImportFailure {
  row: number;
  field?: string;
  error: string;
}

export interface ImportResult {
  imported: number;
  created: number;
  updated: number;
  /** Automatic merges the rows made (contract identity.md). */
  merged: number;
  /** The first `MAX_REPORTED_FAILURES` failures by row number. */
  failed: ImportFailure[];
  /** Every failure, reported or not. */
  failedCount: number;
}

/** How many row failures an import reports; the rest are only counted. */
export const MAX_REPORTED_FAILURES = 100;

/**
 * Keeps the first `MAX_REPORTED_FAILURES` failures by row number and counts them all, holding
 * at most twice that many at any time whatever the number of bad rows.
 */
class Failures {
  private kept: ImportFailure[] = [];
  count = 0;

  add(failure: ImportFailure): void {
    this.count += 1;
    this.kept.push(failure);
    if (this.kept.length >= 2 * MAX_REPORTED_FAILURES) this.trim();
  }

  /** The first failures, in row order. */
  first(): ImportFailure[] {
    this.trim();
    return this.kept;
  }

  private trim(): void {
    this.kept.sort((a, b) => a.row - b.row);
    this.kept.length = Math.min(this.kept.length, MAX_REPORTED_FAILURES);
  }
}

/** One parsed row: its number (data rows from 1) and its input, or why it could not be read. */
type ParsedRow = { row: number; input: ContactInput } | ({ row: number } & Omit<ImportFailure, 'row'>);

/** A row holding text PostgreSQL cannot store, as its failure: `field` is its column or JSON pointer. */
function unstorableRow(row: number, value: object): ParsedRow | null {
  const found = findUnstorableText(value);
  if (!found) return null;
  const field = found.path.slice(1);
  return { row, field, error: `${field} ${found.problem}` };
}

/**
 * A row holding a key that reaches a prototype (`__proto__`, `constructor.prototype`), as its
 * failure: `POST /api/contacts` refuses such a body (plugins/bodies.ts), so its line or row
 * fails alone rather than being stored without the key. `field` is its column or JSON pointer.
 */
function prototypeKeyRow(row: number, value: object): ParsedRow | null {
  const [first] = prototypeKeys(value);
  if (!first) return null;
  const field = first.map(pointerKey).join('/');
  return { row, field, error: `${field} is not an allowed key` };
}

const BATCH = 500;
// A CSV cell that is a number in canonical form becomes one, so filters compare it numerically;
// "00100" (a zip code) stays text.
function cell(text: string): JsonValue {
  const n = Number(text);
  return text !== '' && Number.isFinite(n) && String(n) === text ? n : text;
}

/**
 * The CSV's rows, numbered as the parser meets them. A row it cannot read is reported through
 * `unreadable` at once, with its own number: the good rows before it may still wait in the
 * stream's buffer, so counting it where the next good row is read would number it too early.
 */
async function* csvRows(stream: Readable, unreadable: (failure: ImportFailure) => void): AsyncGenerator<ParsedRow> {
  let met = 0;
  const { delimiter, body } = await withHeaderDelimiter(stream);
  const parser = parse({
    columns: csvColumns,
    delimiter,
    bom: true,
    trim: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_record: (record: Record<string, string>) => ({ row: ++met, record }),
  });
  parser.on('skip', (error: Error) => unreadable({ row: ++met, error: `unreadable CSV row: ${error.message}` }));
  body.on('error', (error) => parser.destroy(error));
  for await (const { row, record } of body.pipe(parser) as AsyncIterable<{
    row: number;
    record: Record<string, string>;
  }>) {
    // An empty cell sets nothing (so an empty `__proto__` cell is no such key either).
    const cells = Object.fromEntries(Object.entries(record).filter(([, value]) => value !== ''));
    const refused = unstorableRow(row, record) ?? prototypeKeyRow(row, cells);
    if (refused) {
      yield refused;
      continue;
    }
    const input: ContactInput = {};
    const attributes: JsonObject = {};
    for (const [key, value] of Object.entries(cells)) {
      if (CSV_IDENTITY.has(key)) (input as Record<string, string>)[key] = value;
      else attributes[key] = cell(value);
    }
    if (Object.keys(attributes).length) input.attributes = attributes;
    yield { row, input };
  }
}

// The fields of a `POST /api/contacts` body: a line with any other fails, as that route refuses it.
const NDJSON_FIELDS = new Set([
  'email',
  'phone',
  'externalId',
  'timezone',
  'attributes',
  'source',
  'emailUndeliverable',
]);

/** A line naming fields `POST /api/contacts` does not know, as its failure: `field` is the first of them. */
function unknownFields(row: number, value: JsonObject): ParsedRow | null {
  const unknown = Object.keys(value).filter((key) => !NDJSON_FIELDS.has(key));
  const [field] = unknown;
  if (field === undefined) {
    // As `POST /api/contacts` takes it: null alone, which declares the email deliverable again.
    if (value.emailUndeliverable === undefined || value.emailUndeliverable === null) return null;
    return { row, field: 'emailUndeliverable', error: 'emailUndeliverable must be null' };
  }
  return { row, field, error: unknown.map((key) => `${key} is not a known field`).join('; ') };
}

async function* ndjsonRows(stream: Readable): AsyncGenerator<ParsedRow> {
  let row = 0;
  for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (!line.trim()) continue;
    row += 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      yield { row, error: 'the line is not valid JSON' };
      continue;
    }
    if (isObject(value))
      yield unstorableRow(row, value) ??
        prototypeKeyRow(row, value) ??
        unknownFields(row, value) ?? { row, input: value as ContactInput };
    else yield { row, error: 'the line is not a JSON object' };
  }
}

/** A row's failure as an error answer's detail (`{ error: { details } }` holds no `failed` list). */
type RowDetail = ErrorDetail & { row: number; field?: string };
const rowDetail = ({ row, field, error }: ImportFailure): RowDetail => ({
  row,
  ...(field ? { field } : {}),
  message: error,
});
const count = (n: number) => n.toLocaleString('en-US');
const failedNote = (failed: number, listed: number) =>
  failed === 0
    ? 'none failed'
    : `${count(failed)} failed (${listed < failed ? `the first ${listed} listed` : 'listed'})`;

/**
 * Imports contacts from a CSV (header row; `email`, `phone`, `externalId`, `timezone`, in any
 * case, are identity fields, other columns attributes) or NDJSON stream (one `POST /api/contacts` body
 * per line), streamed and upserted in batches. Bad rows never stop good ones: the first
 * `MAX_REPORTED_FAILURES` are reported with their row numbers, all are counted. A stream that
 * fails with a `WaymarkError` (a body over its limit) after some batches were stored throws
 * it saying which rows were read, how many stored and failed, with the failures (the first
 * `MAX_REPORTED_FAILURES`) as its `details`.
 */
export async function importContacts(
  db: Kysely<Database>,
  workspaceId: string,
  stream: Readable,
  format: 'csv' | 'ndjson',
  source = 'import',
  /**
   * Runs once, in the transaction of the first batch that stores a row (batches commit one by
   * one): failing, it fails the import with nothing stored. Not run when no row is stored.
   */
  onStoring?: WithinChange,
): Promise<ImportResult> {
  const result = { imported: 0, created: 0, updated: 0, merged: 0 };
  const failures = new Failures();
  // The last row of the last batch stored: every row up to it is done with.
  let stored = 0;
  // The failures among those rows: the rows failed are read in order, so all met by then.
  let failedByThen = 0;
  // Whether a batch stored a row (and `onStoring` ran in its transaction).
  let storing = false;
  // `deliverable`: the line says `emailUndeliverable: null`, as `POST /api/contacts` takes it.
  let batch: { row: number; value: NormalizedInput; deliverable: boolean }[] = [];
  const flush = async () => {
    const rows = batch;
    batch = [];
    if (!rows.length) return;
    const outcomes = await upsertContacts(
      db,
      workspaceId,
      rows.map((r) => r.value),
      {
        source,
        onUpserted: async (trx, done) => {
          if (!storing && done.some((o) => o.ok)) await onStoring?.(trx);
        },
      },
    );
    // Set once the batch committed: a batch retried after a lost race runs it again.
    storing ||= outcomes.some((o) => o.ok);
    const deliverable: string[] = [];
    outcomes.forEach((o, i) => {
      const row = rows[i]?.row ?? 0;
      if (!o.ok) failures.add({ row, ...(o.field ? { field: o.field } : {}), error: o.error });
      else {
        if (rows[i]?.deliverable) deliverable.push(o.contactId);
        result.imported += 1;
        if (o.created) result.created += 1;
        else result.updated += 1;
        result.merged += o.merged;
      }
    });
    await declareDeliverable(db, workspaceId, deliverable);
    stored = rows.at(-1)?.row ?? stored;
    failedByThen = failures.count;
  };
  try {
    for await (const parsed of format === 'csv' ? csvRows(stream, (f) => failures.add(f)) : ndjsonRows(stream)) {
      if ('error' in parsed) {
        failures.add(parsed);
        continue;
      }
      const { value, errors } = normalizeInput(parsed.input);
      const first = errors[0];
      if (first) {
        failures.add({
          row: parsed.row,
          field: first.path?.slice(1),
          error: errors.map((e) => e.message).join('; '),
        });
        continue;
      }
      const deliverable = (parsed.input as { emailUndeliverable?: null }).emailUndeliverable === null;
      batch.push({ row: parsed.row, value, deliverable });
      if (batch.length >= BATCH) await flush();
    }
    await flush();
  } catch (error) {
    // Batches are committed as they are read; a stream cut short (a body over its limit) says how far it got.
    if (!(error instanceof WaymarkError)) throw error;
    if (!stored)
      throw new WaymarkError(error.code, `${error.message}; no row was stored`, error.details, { cause: error });
    const failed = failures.first().filter((f) => f.row <= stored);
    const done = `rows 1–${stored} were read: ${count(result.imported)} stored, ${failedNote(failedByThen, failed.length)}`;
    const again = `the rest were not (send them again from row ${stored + 1})`;
    throw new WaymarkError(
      error.code,
      `${error.message}; ${done}; ${again}`,
      [...error.details, ...failed.map(rowDetail)],
      {
        cause: error,
      },
    );
  }
  // A workspace grows by thousands at once only here: the planner must see it before the next
  // webhook looks a contact up (autovacuum looks once a minute, if at all).
  await analyzeGrownTables(db);
  return { ...result, failed: failures.first(), failedCount: failures.count };
}
