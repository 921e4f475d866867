/** Access to the shared golden reference files (R acepack and Python `ace` outputs). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * Directory holding the ACE reference cases (`NAME_x.csv`, `summary.json`, ...):
 * R acepack 1.4.1 and Python `ace` outputs, kept in the repository so a clean
 * clone tests itself (see tests/reference/ace/README.md for their provenance).
 */
export const REFERENCE_DIR = path.resolve(HERE, '../reference/ace');

/** The published PCACE pipeline on a small MNIST CNN (tests/reference/pipeline/README.md). */
export const PIPELINE_DIR = path.resolve(HERE, '../reference/pipeline');

/**
 * Reads a comma-separated numeric file (no header) as rows of numbers. `file` is taken
 * relative to REFERENCE_DIR unless it is absolute.
 */
export function readCsv(file: string): number[][] {
  const full = path.isAbsolute(file) ? file : path.join(REFERENCE_DIR, file);
  const text = readFileSync(full, 'utf8');
  const rows: number[][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    rows.push(line.split(',').map((cell) => {
      const v = Number(cell);
      if (Number.isNaN(v) && cell.trim() !== 'NaN') {
        throw new Error(`${full}: cannot parse '${cell}' as a number`);
      }
      return v;
    }));
  }
  return rows;
}
