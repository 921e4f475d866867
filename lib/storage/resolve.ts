/**
 * Stored rows keep storage keys, not paths, so the store can be a directory
 * on this machine, a shared mount, the database or a bucket. These turn a
 * stored model or dataset into the local paths lib/analysis opens: the
 * directory store's own files, or copies in the local cache, pinned until
 * release().
 */
import path from 'node:path';
import type { DatasetSpec } from '../datasets/types';
import { getStore } from './backend';
import type { LocalCopy } from './store';

export interface Local<T> {
  value: T;
  release(): Promise<void>;
}

/** Local paths for a stored dataset spec (what openDataset needs). */
export async function materialiseDatasetSpec(spec: DatasetSpec): Promise<Local<DatasetSpec>> {
  switch (spec.kind) {
    case 'mnist':
    case 'folder':
      return { value: spec, release: async () => {} };
    case 'csv': {
      // The CSV and its images are one tree: datasets/<sha256>/{data.csv,images/…}.
      const root = path.posix.dirname(spec.path);
      const copy = await (await getStore()).materialise(root, 'tree');
      const local = (rel: string) => path.join(copy.path, ...path.posix.relative(root, rel).split('/'));
      return { value: { ...spec, path: local(spec.path), imageRoot: spec.imageRoot ? local(spec.imageRoot) : undefined }, release: copy.release };
    }
    default: {
      const copy = await (await getStore()).materialise(spec.path, 'file');
      return { value: { ...spec, path: copy.path }, release: copy.release };
    }
  }
}

/** The file an engine opens for a stored model version: the .onnx, or a TF.js folder's model.json. */
export async function materialiseModelFile(rel: string, format: 'onnx' | 'tfjs'): Promise<Local<string>> {
  const store = await getStore();
  if (format === 'tfjs' && !rel.endsWith('.json')) {
    const copy = await store.materialise(rel, 'tree');
    return { value: path.join(copy.path, 'model.json'), release: copy.release };
  }
  const copy: LocalCopy = await store.materialise(rel, 'file');
  return { value: copy.path, release: copy.release };
}

/** Runs `fn` on a stored dataset's local paths, releasing them after. */
export async function withDatasetSpec<T>(spec: DatasetSpec, fn: (local: DatasetSpec) => Promise<T>): Promise<T> {
  const local = await materialiseDatasetSpec(spec);
  try {
    return await fn(local.value);
  } finally {
    await local.release();
  }
}
