/**
 * Regression datasets: a CSV with an `image` column (path relative to the
 * image root, default the CSV's folder) and a numeric `target` column — the
 * paper's air-pollution case, where PCACE explains a continuous output.
 * Problems in the table itself are errors naming their line; images that are
 * missing or undecodable are skipped like in a folder.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ImageSource } from './catalogue';
import { hasImageExtension, MAX_IMAGE_FILE_BYTES, unsupportedReason } from './decode';
import { readImageFile, resolveInside } from './folder';
import type { DatasetSample, SkippedFile } from './types';

export interface CsvRecord {
  /** 1-based line where the record starts (quoted fields may span lines). */
  line: number;
  fields: string[];
}

/**
 * RFC 4180 parsing: quoted fields with "" escapes and embedded newlines,
 * CRLF or LF, BOM stripped, blank lines ignored. The delimiter is whichever of
 * , ; or tab is most common in the header, since spreadsheets in many locales
 * export semicolons.
 */
export function parseCsv(text: string): CsvRecord[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const headerLine = text.slice(0, text.search(/\r?\n|$/));
  const delim = [',', ';', '\t'].reduce((best, d) => (headerLine.split(d).length > headerLine.split(best).length ? d : best), ',');
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let fieldStarted = false;
  const endRecord = () => {
    if (fieldStarted || fields.length > 0 || field !== '') {
      fields.push(field);
      if (!(fields.length === 1 && fields[0].trim() === '')) records.push({ line: recordLine, fields });
    }
    fields = [];
    field = '';
    fieldStarted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && field.trim() === '') {
      quoted = true;
      field = '';
      fieldStarted = true;
    } else if (ch === delim) {
      fields.push(field);
      field = '';
      fieldStarted = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += ch;
      fieldStarted = true;
    }
  }
  if (quoted) throw new Error(`line ${recordLine}: unterminated quoted field`);
  endRecord();
  return records;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export interface CsvTable {
  root: string;
  items: DatasetSample[];
  /** Resolved file per item. */
  files: string[];
  skipped: SkippedFile[];
}

/** Parse and check the CSV; throws one error listing (up to 10) bad lines. */
export function readCsvTable(csvPath: string, imageRoot?: string): CsvTable {
  if (!existsSync(csvPath)) throw new Error(`CSV ${csvPath} does not exist`);
  const records = parseCsv(readFileSync(csvPath, 'utf8'));
  if (records.length === 0) throw new Error(`CSV ${csvPath} is empty (expected a header with image,target)`);
  const header = records[0].fields.map((h) => h.trim().toLowerCase());
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) {
      throw new Error(`CSV ${csvPath}: line ${records[0].line}: header has no '${name}' column (found: ${records[0].fields.join(', ')})`);
    }
    return i;
  };
  const imageCol = col('image');
  const targetCol = col('target');
  const root = path.resolve(imageRoot ?? path.dirname(csvPath));

  const problems: string[] = [];
  const items: DatasetSample[] = [];
  const files: string[] = [];
  const skipped: SkippedFile[] = [];
  const seen = new Set<string>();
  for (const { line, fields } of records.slice(1)) {
    if (fields.length <= Math.max(imageCol, targetCol)) {
      problems.push(`line ${line}: ${fields.length} columns, the header has ${header.length}`);
      continue;
    }
    const rel = fields[imageCol].trim();
    const targetText = fields[targetCol].trim();
    const target = Number(targetText);
    if (!NUMBER.test(targetText) || !Number.isFinite(target)) {
      problems.push(`line ${line}: target ${JSON.stringify(targetText)} is not a finite number`);
      continue;
    }
    if (rel === '') {
      problems.push(`line ${line}: empty image path`);
      continue;
    }
    let file: string;
    try {
      file = resolveInside(root, rel);
    } catch (err) {
      problems.push(`line ${line}: ${(err as Error).message}`);
      continue;
    }
    const posix = rel.replace(/\\/g, '/');
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st?.isFile()) skipped.push({ file: posix, reason: `line ${line}: image file not found in ${root}` });
    else if (!hasImageExtension(rel)) skipped.push({ file: posix, reason: `line ${line}: ${unsupportedReason(rel)}` });
    else if (st.size > MAX_IMAGE_FILE_BYTES) skipped.push({ file: posix, reason: `line ${line}: larger than ${MAX_IMAGE_FILE_BYTES} bytes` });
    else {
      // The same image may legitimately appear twice (two measurements); ids must stay unique.
      const id = seen.has(posix) ? `${posix}#L${line}` : posix;
      seen.add(posix);
      items.push({ id, target });
      files.push(file);
    }
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join('; ');
    const more = problems.length > 10 ? `; … ${problems.length - 10} more` : '';
    throw new Error(`CSV ${csvPath}: ${problems.length} bad line${problems.length > 1 ? 's' : ''}: ${shown}${more}`);
  }
  return { root, items, files, skipped };
}

export function csvSource(csvPath: string, imageRoot?: string): ImageSource {
  const table = readCsvTable(csvPath, imageRoot);
  return {
    describe: `CSV ${csvPath}`,
    items: table.items,
    classes: [],
    skipped: table.skipped,
    read: (index) => readImageFile(table.files[index]),
    close: async () => {},
  };
}
