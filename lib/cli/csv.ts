import { readFileSync } from 'node:fs';
import { UsageError } from './errors';

/**
 * Numeric CSV without header → rows. Every row must have the same number of
 * columns and every cell must be a finite number; the error names file, line
 * and column so a user can fix the file.
 */
export function readNumericCsv(file: string): number[][] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${file}: no such file` : `cannot read ${file}: ${code ?? (err as Error).message}`);
  }
  const rows: number[][] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const cells = line.split(',');
    const row = cells.map((cell, j) => {
      const t = cell.trim();
      const v = t === '' ? NaN : Number(t);
      if (!Number.isFinite(v)) {
        throw new UsageError(`${file}:${i + 1}: column ${j + 1} is not a finite number (${JSON.stringify(cell.slice(0, 40))})`);
      }
      return v;
    });
    if (rows.length && row.length !== rows[0].length) {
      throw new UsageError(`${file}:${i + 1}: ${row.length} columns, but the first row has ${rows[0].length}`);
    }
    rows.push(row);
  });
  if (rows.length === 0) throw new UsageError(`${file} has no data rows`);
  return rows;
}

/** Rows → one Float64Array per column. */
export function toColumns(rows: number[][]): Float64Array[] {
  const p = rows[0].length;
  return Array.from({ length: p }, (_, j) => Float64Array.from(rows, (r) => r[j]));
}
