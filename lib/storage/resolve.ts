/**
 * Stored rows keep paths relative to the storage dir, so the dir can move (or
 * be mounted elsewhere on a worker machine). These turn a stored model or
 * dataset into the absolute paths lib/analysis opens.
 */
import type { DatasetSpec } from '../datasets/types';
import { storagePath } from './files';

/** Absolute paths for a stored dataset spec (what openDataset needs). */
export function resolveDatasetSpec(spec: DatasetSpec): DatasetSpec {
  switch (spec.kind) {
    case 'mnist':
    case 'folder':
      return spec;
    case 'csv':
      return { ...spec, path: storagePath(spec.path), imageRoot: spec.imageRoot ? storagePath(spec.imageRoot) : undefined };
    default:
      return { ...spec, path: storagePath(spec.path) };
  }
}

/** The file an engine opens for a stored model version: the .onnx, or a TF.js folder's model.json. */
export function resolveModelFile(rel: string, format: 'onnx' | 'tfjs'): string {
  const full = storagePath(rel);
  return format === 'tfjs' && !full.endsWith('.json') ? `${full}/model.json` : full;
}
