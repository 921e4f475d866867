/**
 * Uploaded files, content-addressed under the storage dir (STORAGE_DIR or
 * .data/storage): models/<sha256>.onnx, models/<sha256>/ (TF.js),
 * datasets/<sha256>.zip, ... Uploads go to a temp path first and are moved
 * into place only after validation, so a rejected upload leaves nothing.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { storageDir } from './dirs';

export function storagePath(rel: string): string {
  const root = storageDir();
  const full = path.resolve(root, rel);
  if (full !== root && !full.startsWith(root + path.sep)) throw new Error(`storage path escapes the storage dir: ${rel}`);
  return full;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A scratch directory under the storage dir (same filesystem, so rename is atomic). */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = storagePath(path.join('tmp', randomUUID()));
  await mkdir(dir, { recursive: true });
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Move a validated temp file or folder to `rel`. Content-addressed: when the
 * target exists already (same bytes uploaded before), the temp copy is dropped.
 * Returns whether this call created the target.
 */
export async function commitToStorage(tempPath: string, rel: string): Promise<boolean> {
  const target = storagePath(rel);
  if (existsSync(target)) {
    await rm(tempPath, { recursive: true, force: true });
    return false;
  }
  await mkdir(path.dirname(target), { recursive: true });
  try {
    await rename(tempPath, target);
    return true;
  } catch (err) {
    // A concurrent upload of the same bytes won the rename.
    if (existsSync(target)) {
      await rm(tempPath, { recursive: true, force: true });
      return false;
    }
    throw err;
  }
}

export async function writeTemp(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  const safe = path.basename(name);
  if (!safe || safe === '.' || safe === '..') throw new Error(`bad file name ${JSON.stringify(name)}`);
  const full = path.join(dir, safe);
  await writeFile(full, bytes);
  return full;
}

export async function removeFromStorage(rel: string): Promise<void> {
  await rm(storagePath(rel), { recursive: true, force: true });
}
