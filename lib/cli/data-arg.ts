/** `--data` forms of the CLI → a DatasetSpec. */
import { existsSync, statSync } from 'node:fs';
import type { DatasetSpec } from '../datasets/types';
import { UsageError } from './errors';

/**
 * mnist:DIGIT | mnist:all | DIR | FILE.zip | FILE.csv | FILE.npy. `className`
 * picks one class folder; `mix` is "a:0.5,b:0.5" over class names.
 */
export function parseDataArg(data: string, opts: { split?: string; className?: string; mix?: string } = {}): DatasetSpec {
  const mix = opts.mix ? parseMix(opts.mix) : undefined;
  const mnist = /^mnist(?::(\d|all))?$/i.exec(data);
  if (mnist) {
    const split = opts.split ?? 'train';
    if (split !== 'train' && split !== 'test') throw new UsageError(`--split must be train or test, got ${JSON.stringify(split)}`);
    const digit = mnist[1] === undefined || mnist[1] === 'all' ? undefined : Number(mnist[1]);
    return { kind: 'mnist', split, digit, mix };
  }
  if (!existsSync(data)) throw new UsageError(`--data ${data}: no such file or folder (or use mnist:DIGIT)`);
  if (statSync(data).isDirectory()) return { kind: 'folder', path: data, className: opts.className, mix };
  if (/\.zip$/i.test(data)) return { kind: 'zip', path: data, className: opts.className, mix };
  if (/\.csv$/i.test(data)) return { kind: 'csv', path: data };
  if (/\.npy$/i.test(data)) return { kind: 'npy', path: data };
  throw new UsageError(`--data ${data}: expected mnist:DIGIT, a folder, a .zip, a .csv or a .npy file`);
}

function parseMix(mix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of mix.split(',')) {
    const [name, w] = part.split(':');
    const weight = Number(w);
    if (!name || !(weight > 0)) throw new UsageError(`--mix: ${JSON.stringify(part)} is not CLASS:WEIGHT with a positive weight`);
    out[name.trim()] = weight;
  }
  return out;
}
