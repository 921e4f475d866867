/**
 * Image sources for analyses: one entry point per need.
 *   openDataset     — sample n images (seeded) and serve preprocessed batches;
 *   countClasses    — what a source holds, per class, without decoding;
 *   datasetThumbnail — one sample as a small PNG for the portal.
 */
import path from 'node:path';
import { openImageSource, type ImageSource } from './catalogue';
import { csvSource, readCsvTable } from './csv';
import { decodeImage, encodeThumbnail, hasImageExtension } from './decode';
import { folderCounts, folderSource, readImageFile, resolveInside } from './folder';
import { checkMnistSpec, mnistCounts, mnistImage, mnistSource, parseMnistId } from './mnist';
import { readNpyHeader } from './npy';
import { openNpy, parseNpyId, readNpyImage } from './npy-source';
import type { RawImage } from './preprocess';
import type { DatasetSpec, OpenDatasetOptions, OpenedDataset } from './types';
import { listZip, readZipEntry, zipCounts, zipSource, type ZipLimits } from './zip';

export type { DatasetSample, DatasetSpec, OpenDatasetOptions, OpenedDataset, Preprocessing, SkippedFile } from './types';
export { DatasetRefusedError } from './catalogue';
export { DEFAULT_ZIP_LIMITS, type ZipLimits } from './zip';
export { IMAGENET_PREPROCESSING, defaultPreprocessing, preprocessImage, type RawImage } from './preprocess';
export { allocateMix } from './sampling';

export interface OpenOptions extends OpenDatasetOptions {
  /** Overrides for the zip safety limits (DEFAULT_ZIP_LIMITS otherwise). */
  zipLimits?: Partial<ZipLimits>;
}

/** Key under which countClasses reports sources that have no classes (CSV, .npy). */
export const ALL_SAMPLES = '(all)';

function checkSpec(spec: DatasetSpec): void {
  if (!spec || typeof spec !== 'object') throw new Error('dataset spec must be an object');
  if (spec.kind !== 'mnist' && (typeof spec.path !== 'string' || spec.path === '')) {
    throw new Error(`dataset spec of kind '${spec.kind}' needs a path`);
  }
}

function imageSourceFor(spec: DatasetSpec, opts: OpenOptions): Promise<ImageSource> | ImageSource {
  switch (spec.kind) {
    case 'mnist':
      return mnistSource(checkMnistSpec(spec.split, spec.digit));
    case 'folder':
      return folderSource(spec.path);
    case 'zip':
      return zipSource(spec.path, opts.zipLimits);
    case 'csv':
      return csvSource(spec.path, spec.imageRoot);
    default:
      throw new Error(`unknown dataset kind ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  }
}

/**
 * Resolve a spec to n samples drawn with `seed` (same spec, files and seed →
 * same samples, in the source's order). Undecodable files met while drawing
 * are replaced by further draws and listed in `skipped`; fewer usable images
 * than n is a warning, none at all an error.
 */
export async function openDataset(spec: DatasetSpec, opts: OpenOptions): Promise<OpenedDataset> {
  checkSpec(spec);
  if (spec.kind === 'npy') return openNpy(spec.path, opts);
  const src = await imageSourceFor(spec, opts);
  const sel =
    spec.kind === 'mnist'
      ? { className: spec.digit === undefined ? undefined : String(spec.digit), mix: spec.mix }
      : spec.kind === 'csv'
        ? {}
        : { className: spec.className, mix: spec.mix };
  return openImageSource(src, sel, opts);
}

/**
 * Samples per class in the whole source (class/mix selections are ignored:
 * this is what the portal offers to choose from). Counts files by name only,
 * so corrupt images are included. Sources without classes report their size
 * under ALL_SAMPLES.
 */
export async function countClasses(spec: DatasetSpec, opts: { zipLimits?: Partial<ZipLimits> } = {}): Promise<Record<string, number>> {
  checkSpec(spec);
  switch (spec.kind) {
    case 'mnist':
      return mnistCounts(checkMnistSpec(spec.split, spec.digit));
    case 'folder':
      return folderCounts(spec.path);
    case 'zip':
      return zipCounts(spec.path, opts.zipLimits);
    case 'csv':
      return { [ALL_SAMPLES]: readCsvTable(spec.path, spec.imageRoot).items.length };
    case 'npy': {
      const { shape } = readNpyHeader(spec.path);
      if (shape.length !== 4) throw new Error(`npy ${spec.path}: shape [${shape.join(', ')}] is not [N, C, H, W]`);
      return { [ALL_SAMPLES]: shape[0] };
    }
    default:
      throw new Error(`unknown dataset kind ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  }
}

/** A preprocessed float image back to 8 bits, stretched per image (npy values have no fixed range). */
function npyToRaw(data: Float32Array, c: number, h: number, w: number): RawImage {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi > lo ? hi - lo : 1;
  const out = new Uint8Array(h * w * c);
  for (let ch = 0; ch < c; ch++) {
    for (let p = 0; p < h * w; p++) out[p * c + ch] = Math.round(((data[ch * h * w + p] - lo) / span) * 255);
  }
  return { width: w, height: h, channels: c as 1 | 3, data: out };
}

async function thumbnailSource(spec: DatasetSpec, id: string, opts: { zipLimits?: Partial<ZipLimits> }): Promise<RawImage> {
  switch (spec.kind) {
    case 'mnist': {
      const { split, index } = parseMnistId(id);
      return mnistImage(split, index);
    }
    case 'folder':
    case 'csv': {
      const root = spec.kind === 'folder' ? spec.path : (spec.imageRoot ?? path.dirname(spec.path));
      // CSV ids of repeated images carry '#L<line>'; the file is the part before it.
      const rel = spec.kind === 'csv' ? id.replace(/#L\d+$/, '') : id;
      if (!hasImageExtension(rel)) throw new Error(`${JSON.stringify(id)} is not an image sample of ${spec.path}`);
      return readImageFile(resolveInside(path.resolve(root), rel));
    }
    case 'zip': {
      const listing = await listZip(spec.path, opts.zipLimits);
      try {
        return await decodeImage(await readZipEntry(listing, id, new Map()));
      } finally {
        listing.zip.close();
      }
    }
    case 'npy': {
      // One positioned read of this image, not the whole file.
      const { data, shape } = await readNpyImage(spec.path, parseNpyId(id));
      return npyToRaw(data, ...shape);
    }
    default:
      throw new Error(`unknown dataset kind ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  }
}

/** PNG bytes of one sample (an id from OpenedDataset.samples), fitting in size×size. */
export async function datasetThumbnail(
  spec: DatasetSpec,
  sampleId: string,
  size: number,
  opts: { zipLimits?: Partial<ZipLimits> } = {},
): Promise<Buffer> {
  checkSpec(spec);
  return encodeThumbnail(await thumbnailSource(spec, sampleId, opts), size);
}
