import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { JsonObject, JsonValue } from '@waymark/sdk';
import { parse } from 'csv-parse';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { type ContactInput, isObject, type NormalizedInput, normalizeInput } from './normalize.js';
import { upsertContacts } from './upsert.js';

export interface ImportFailure {
  row: number;
  field?: string;
  error: string;
}

export interface ImportResult {
  imported: number;
  created: number;
  updated: number;
  failed: ImportFailure[];
}

/** One parsed row: its number (data rows from 1) and its input, or why it could not be read. */
type ParsedRow = { row: number; input: ContactInput } | { row: number; error: string };

const BATCH = 500;
const IDENTITY = new Set(['email', 'phone', 'externalId', 'timezone']);

// A CSV cell that is a number in canonical form becomes one, so filters compare it numerically;
// "00100" (a zip code) stays text.
function cell(text: string): JsonValue {
  const n = Number(text);
  return text !== '' && Number.isFinite(n) && String(n) === text ? n : text;
}

async function* csvRows(stream: Readable): AsyncGenerator<ParsedRow> {
  const skipped: ParsedRow[] = [];
  const parser = parse({ columns: true, bom: true, trim: true, skip_empty_lines: true, skip_records_with_error: true });
  let row = 0;
  parser.on('skip', (error: Error) => skipped.push({ row: 0, error: `unreadable CSV row: ${error.message}` }));
  stream.on('error', (error) => parser.destroy(error));
  for await (const record of stream.pipe(parser) as AsyncIterable<Record<string, string>>) {
    while (skipped.length) yield { ...(skipped.shift() as ParsedRow), row: ++row };
    row += 1;
    const input: ContactInput = {};
    const attributes: JsonObject = {};
    for (const [key, value] of Object.entries(record)) {
      if (value === '') continue; // an empty cell sets nothing
      if (IDENTITY.has(key)) (input as Record<string, string>)[key] = value;
      else if (key) attributes[key] = cell(value);
    }
    if (Object.keys(attributes).length) input.attributes = attributes;
    yield { row, input };
  }
  while (skipped.length) yield { ...(skipped.shift() as ParsedRow), row: ++row };
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
    if (isObject(value)) yield { row, input: value as ContactInput };
    else yield { row, error: 'the line is not a JSON object' };
  }
}

/**
 * Imports contacts from a CSV (header row; `email`, `phone`, `externalId`, `timezone` are
 * identity fields, other columns attributes) or NDJSON stream (one `POST /api/contacts` body
 * per line), streamed and upserted in batches. Bad rows are reported and never stop good ones.
 */
export async function importContacts(
  db: Kysely<Database>,
  stream: Readable,
  format: 'csv' | 'ndjson',
): Promise<ImportResult> {
  const result: ImportResult = { imported: 0, created: 0, updated: 0, failed: [] };
  let batch: { row: number; value: NormalizedInput }[] = [];
  const flush = async () => {
    const rows = batch;
    batch = [];
    if (!rows.length) return;
    const outcomes = await upsertContacts(
      db,
      rows.map((r) => r.value),
    );
    outcomes.forEach((o, i) => {
      const row = rows[i]?.row ?? 0;
      if (!o.ok) result.failed.push({ row, ...(o.field ? { field: o.field } : {}), error: o.error });
      else {
        result.imported += 1;
        if (o.created) result.created += 1;
        else result.updated += 1;
      }
    });
  };
  for await (const parsed of format === 'csv' ? csvRows(stream) : ndjsonRows(stream)) {
    if ('error' in parsed) {
      result.failed.push({ row: parsed.row, error: parsed.error });
      continue;
    }
    const { value, errors } = normalizeInput(parsed.input);
    const first = errors[0];
    if (first) {
      result.failed.push({
        row: parsed.row,
        field: first.path?.slice(1),
        error: errors.map((e) => e.message).join('; '),
      });
      continue;
    }
    batch.push({ row: parsed.row, value });
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  result.failed.sort((a, b) => a.row - b.row);
  return result;
}
