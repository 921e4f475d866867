/**
 * Where a local installation keeps its state. Shared by the portal, the
 * workers and the scripts, so it lives below all of them.
 */
import path from 'node:path';

/** Data root: `.data` under the project (PCACE_DATA_DIR to move it). */
export function dataDir(): string {
  return path.resolve(/*turbopackIgnore: true*/ process.cwd(), process.env.PCACE_DATA_DIR ?? '.data');
}

/** Where uploaded models and datasets are stored: STORAGE_DIR or `.data/storage`. */
export function storageDir(): string {
  return path.resolve(/*turbopackIgnore: true*/ process.env.STORAGE_DIR ?? path.join(dataDir(), 'storage'));
}
