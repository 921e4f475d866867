/**
 * Image sources for analyses: one entry point per need.
 *   openDataset     — sample n images (seeded) and serve preprocessed batches;
 *   countClasses    — what a source holds, per class, without decoding;
 *   datasetThumbnail — one sample as a small PNG for the portal.
 */
import path from 'node:path';
import { openImageSource } from './catalogue';
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

type Kind = DatasetSpec['kind'];
type SpecOf<K extends Kind> = Extract<DatasetSpec, { kind: K }>;
type ZipOptions = { zipLimits?: Partial<ZipLimits> };

/** What one kind of source does for each entry point below: a new kind is one more row. */
interface SourceKind<S extends DatasetSpec> {
  open(spec: S, opts: OpenOptions): Promise<OpenedDataset>;
  count(spec: S, opts: ZipOptions): Promise<Record<string, number>> | Record<string, number>;
  thumbnail(spec: S, id: string, opts: ZipOptions): Promise<RawImage> | RawImage;
}

/** A sample stored as an image file under `root` (folder and CSV sources). */
function fileImage(spec: { path: string }, root: string, rel: string, id: string) {
  if (!hasImageExtension(rel)) throw new Error(`${JSON.stringify(id)} is not an image sample of ${spec.path}`);
  return readImageFile(resolveInside(path.resolve(root), rel));
}

const KINDS: { [K in Kind]: SourceKind<SpecOf<K>> } = {
  mnist: {
    open: async (spec, opts) =>
      openImageSource(await mnistSource(checkMnistSpec(spec.split, spec.digit)), { className: spec.digit === undefined ? undefined : String(spec.digit), mix: spec.mix }, opts),
    // A digit's dataset holds that digit's images only (a mix draws from all ten).
    count: (spec) => {
      const all = mnistCounts(checkMnistSpec(spec.split, spec.digit));
      return spec.digit === undefined || spec.mix ? all : { [String(spec.digit)]: all[String(spec.digit)] };
    },
    thumbnail: (_spec, id) => {
      const { split, index } = parseMnistId(id);
      return mnistImage(split, index);
    },
  },
  folder: {
    open: async (spec, opts) => openImageSource(await folderSource(spec.path), { className: spec.className, mix: spec.mix }, opts),
    count: (spec) => folderCounts(spec.path),
    thumbnail: (spec, id) => fileImage(spec, spec.path, id, id),
  },
  zip: {
    open: async (spec, opts) => openImageSource(await zipSource(spec.path, opts.zipLimits), { className: spec.className, mix: spec.mix }, opts),
    count: (spec, opts) => zipCounts(spec.path, opts.zipLimits),
    thumbnail: async (spec, id, opts) => {
      const listing = await listZip(spec.path, opts.zipLimits);
      try {
        return await decodeImage(await readZipEntry(listing, id, new Map()));
      } finally {
        listing.zip.close();
      }
    },
  },
  csv: {
    open: async (spec, opts) => openImageSource(await csvSource(spec.path, spec.imageRoot), {}, opts),
    count: (spec) => ({ [ALL_SAMPLES]: readCsvTable(spec.path, spec.imageRoot).items.length }),
    // CSV ids of repeated images carry '#L<line>'; the file is the part before it.
    thumbnail: (spec, id) => fileImage(spec, spec.imageRoot ?? path.dirname(spec.path), id.replace(/#L\d+$/, ''), id),
  },
  npy: {
    open: (spec, opts) => openNpy(spec.path, opts),
    count: (spec) => {
      const { shape } = readNpyHeader(spec.path);
      if (shape.length !== 4) throw new Error(`npy ${spec.path}: shape [${shape.join(', ')}] is not [N, C, H, W]`);
      return { [ALL_SAMPLES]: shape[0] };
    },
    thumbnail: async (spec, id) => {
      // One positioned read of this image, not the whole file.
      const { data, shape } = await readNpyImage(spec.path, parseNpyId(id));
      return npyToRaw(data, ...shape);
    },
  },
};

/** The checked spec's row of KINDS. */
function kindOf<S extends DatasetSpec>(spec: S): SourceKind<S> {
  checkSpec(spec);
  if (!Object.hasOwn(KINDS, spec.kind)) throw new Error(`unknown dataset kind ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  return KINDS[spec.kind] as unknown as SourceKind<S>;
}

/**
 * Resolve a spec to n samples drawn with `seed` (same spec, files and seed →
 * same samples, in the source's order). Undecodable files met while drawing
 * are replaced by further draws and listed in `skipped`; fewer usable images
 * than n is a warning, none at all an error.
 */
export async function openDataset(spec: DatasetSpec, opts: OpenOptions): Promise<OpenedDataset> {
  return kindOf(spec).open(spec, opts);
}

/**
 * The same source with its one-class selection dropped, so a sample of it
 * spans every class (MNIST's ten digits, an image folder's class folders);
 * null when the spec selects no single class (already all classes, a mix of
 * them, or a source without classes).
 */
export function allClassesSpec(spec: DatasetSpec): DatasetSpec | null {
  if (spec.kind === 'mnist') return spec.digit !== undefined && !spec.mix ? { kind: 'mnist', split: spec.split } : null;
  if (spec.kind === 'folder' || spec.kind === 'zip') return spec.className !== undefined && !spec.mix ? { kind: spec.kind, path: spec.path } : null;
  return null;
}

/**
 * Samples per class in the whole source (class/mix selections are ignored:
 * this is what the portal offers to choose from). Counts files by name only,
 * so corrupt images are included. Sources without classes report their size
 * under ALL_SAMPLES.
 */
export async function countClasses(spec: DatasetSpec, opts: ZipOptions = {}): Promise<Record<string, number>> {
  return kindOf(spec).count(spec, opts);
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


/** PNG bytes of one sample (an id from OpenedDataset.samples), fitting in size×size. */
export async function datasetThumbnail(
  spec: DatasetSpec,
  sampleId: string,
  size: number,
  opts: { zipLimits?: Partial<ZipLimits> } = {},
): Promise<Buffer> {
  return encodeThumbnail(await kindOf(spec).thumbnail(spec, sampleId, opts), size);
}
