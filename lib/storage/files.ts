/**
 * Uploaded files, content-addressed in the configured store
 * (lib/storage/backend.ts): models/<sha256>.onnx, models/<sha256>/ (TF.js),
 * datasets/<sha256>.zip, ... Uploads land in a local scratch folder first and
 * reach the store only after validation, so a rejected upload leaves nothing.
 */
import { createHash } from 'node:crypto';
import { getStore } from './backend';
import { DirectoryStore } from './dir-store';
import { storageDir } from './dirs';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A scratch folder for an upload being received and checked: under the
 * storage dir for the directory backend (same filesystem, so storing is a
 * rename), on the local cache's disk for the others.
 */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  return (await getStore()).scratchDir();
}

/**
 * Store a validated local file or folder as `rel`, consuming it. Content-addressed:
 * when `rel` exists already (same bytes uploaded before), the local copy is dropped.
 * Returns whether this call stored it.
 */
export async function commitToStorage(localPath: string, rel: string, opts: { sha256?: string } = {}): Promise<boolean> {
  return (await getStore()).commitLocal(localPath, rel, opts);
}

/** Remove a stored file or tree (a TF.js model folder, a thumbnail folder). */
export async function removeFromStorage(rel: string): Promise<void> {
  await (await getStore()).deleteTree(rel);
}

/** Absolute path of a key in the default directory store (what tests and scripts that inspect STORAGE_DIR look at). */
export function storagePath(rel: string): string {
  return new DirectoryStore(storageDir()).pathOf(rel);
}
