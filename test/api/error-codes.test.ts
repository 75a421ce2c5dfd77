import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ERROR_STATUSES } from '../../server/error-statuses.js';

const root = path.resolve(import.meta.dirname, '../..');
// The contract lives beside the repository on developer machines; a checkout elsewhere (CI)
// checks against the copy of its error table kept in the fixtures.
const contractPath = path.join(root, '../shared/API.md');
const contract = readFileSync(
  existsSync(contractPath) ? contractPath : path.join(root, 'test/fixtures/contract-errors.md'),
  'utf8',
);
const ours = readFileSync(path.join(root, 'server/README.md'), 'utf8');

function documented(text: string): Map<string, number> {
  const rows = new Map<string, number>();
  for (const m of text.matchAll(/^\|\s*(\d{3})\s*\|\s*`([a-z_]+)`/gm)) rows.set(m[2] as string, Number(m[1]));
  return rows;
}

describe('error codes', () => {
  const docs = new Map([...documented(contract), ...documented(ours)]);

  test.each(Object.entries(ERROR_STATUSES))('%s is documented with status %i', (code, status) => {
    expect(docs.get(code)).toBe(status);
  });

  test('every code of the API.md table is answered by the server', () => {
    for (const code of documented(contract).keys()) expect(ERROR_STATUSES).toHaveProperty(code);
  });
});

test('the copy of the contract error table in the fixtures is up to date', () => {
  if (!existsSync(contractPath)) return;
  const copy = readFileSync(path.join(root, 'test/fixtures/contract-errors.md'), 'utf8');
  expect(documented(copy)).toEqual(documented(readFileSync(contractPath, 'utf8')));
});
