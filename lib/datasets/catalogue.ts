/**
 * The part every decoded-image source shares: a source lists its items (cheap,
 * no decoding) and can read one; this module picks the samples (class filter,
 * mix, seeded draw that replaces undecodable files) and serves preprocessed
 * batches.
 */
import { decodeFailure } from './decode';
import { imageSize, preprocessImage, validatePreprocessing, type RawImage } from './preprocess';
import { allocateMix, checkSampleOptions, classSeed, drawChecked, forEachLimited } from './sampling';
import type { DatasetSample, OpenDatasetOptions, OpenedDataset, Preprocessing, SkippedFile } from './types';

export interface ImageSource {
  /** For messages: "folder /data/pets". */
  describe: string;
  /** Every candidate, in a stable order (sorted ids), with label/target. */
  items: DatasetSample[];
  classes: string[];
  /** Files rejected while listing (unsupported type, missing, too large). */
  skipped: SkippedFile[];
  read(index: number): Promise<RawImage>;
  close(): Promise<void>;
  /** How many reads may run at once (decoding is CPU and memory heavy). */
  concurrency?: number;
}

/**
 * A read failure that must not be downgraded to "skipped": the source itself
 * is unsafe (zip bomb, path escape), so the whole dataset is refused.
 */
export class DatasetRefusedError extends Error {
  override name = 'DatasetRefusedError';
}

export interface Selection {
  className?: string;
  mix?: Record<string, number>;
}

function describeSkipped(skipped: SkippedFile[]): string {
  const shown = skipped.slice(0, 5).map((s) => `${s.file} (${s.reason})`);
  if (skipped.length > shown.length) shown.push(`… ${skipped.length - shown.length} more`);
  return shown.join('; ');
}

export function noUsableImages(describe: string, skipped: SkippedFile[]): Error {
  const detail = skipped.length > 0 ? `: ${describeSkipped(skipped)}` : '';
  return new Error(`no usable images in ${describe}, ${skipped.length} files skipped${detail}`);
}

function unknownClass(src: ImageSource, name: string): Error {
  return new Error(`${src.describe}: no class '${name}' (classes: ${src.classes.join(', ') || 'none'})`);
}

/** Choose samples per the selection and wrap the source as an OpenedDataset. */
export async function openImageSource(src: ImageSource, sel: Selection, opts: OpenDatasetOptions): Promise<OpenedDataset> {
  try {
    return await selectAndWrap(src, sel, opts);
  } catch (err) {
    await src.close();
    throw err;
  }
}

async function selectAndWrap(src: ImageSource, sel: Selection, opts: OpenDatasetOptions): Promise<OpenedDataset> {
  checkSampleOptions(opts);
  const skipped = [...src.skipped];
  const warnings: string[] = [];
  const byClass = new Map<string, number[]>();
  src.items.forEach((item, i) => {
    const key = item.label ?? '';
    const list = byClass.get(key);
    if (list) list.push(i);
    else byClass.set(key, [i]);
  });

  // A class folder may exist yet hold no image: that is a warning, a typo is an error.
  const poolOf = (name: string): number[] => {
    if (!src.classes.includes(name)) throw unknownClass(src, name);
    return byClass.get(name) ?? [];
  };

  const check = async (index: number): Promise<string | null> => {
    try {
      await src.read(index);
      return null;
    } catch (err) {
      if (err instanceof DatasetRefusedError) throw err;
      return decodeFailure(err);
    }
  };
  const concurrency = src.concurrency ?? 8;
  const chosen: number[] = [];
  const draw = async (pool: number[], quota: number, seed: number, what: string) => {
    const { accepted, rejected } = await drawChecked(pool, quota, seed, check, concurrency);
    for (const r of rejected) skipped.push({ file: src.items[r.index].id, reason: r.reason });
    if (accepted.length < quota && accepted.length > 0) {
      warnings.push(`requested ${quota} images${what} but only ${accepted.length} are usable; using all ${accepted.length}`);
    }
    if (accepted.length === 0 && quota > 0) {
      warnings.push(`no usable images${what}`);
    }
    chosen.push(...accepted);
  };

  if (sel.mix && Object.keys(sel.mix).length > 0) {
    if (sel.className !== undefined) throw new Error(`${src.describe}: give either a class or a mix, not both`);
    for (const [name, quota] of allocateMix(sel.mix, opts.n)) {
      const pool = poolOf(name);
      if (quota > 0) await draw(pool, quota, classSeed(opts.seed, name), ` of class '${name}'`);
    }
    chosen.sort((a, b) => a - b);
  } else if (sel.className !== undefined) {
    const pool = poolOf(sel.className);
    await draw(pool, opts.n, classSeed(opts.seed, sel.className), ` of class '${sel.className}'`);
  } else {
    await draw(src.items.map((_, i) => i), opts.n, opts.seed, '');
  }
  if (chosen.length === 0) throw noUsableImages(src.describe, skipped);

  const samples = chosen.map((i) => ({ ...src.items[i] }));
  let closed = false;
  return {
    samples,
    classes: [...src.classes],
    skipped,
    warnings,
    async loadBatch(start: number, count: number, pre: Preprocessing): Promise<Float32Array> {
      if (closed) throw new Error(`${src.describe}: dataset is closed`);
      checkRange(start, count, samples.length);
      validatePreprocessing(pre);
      const size = imageSize(pre);
      const out = new Float32Array(count * size);
      await forEachLimited(count, Math.min(concurrency, 4), async (k) => {
        const index = chosen[start + k];
        let img: RawImage;
        try {
          img = await src.read(index);
        } catch (err) {
          if (err instanceof DatasetRefusedError) throw err;
          // It decoded while sampling, so the file changed underneath us.
          throw new Error(`${src.describe}: ${src.items[index].id}: ${decodeFailure(err)}`);
        }
        preprocessImage(img, pre, out, k * size);
      });
      return out;
    },
    async close() {
      closed = true;
      await src.close();
    },
  };
}

export function checkRange(start: number, count: number, total: number): void {
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > total) {
    throw new Error(`loadBatch(${start}, ${count}) is outside the ${total} samples`);
  }
}
