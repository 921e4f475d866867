/**
 * Already-preprocessed images as a float32 [N, C, H, W] .npy (what a Python
 * pipeline hands over, e.g. the published MNIST inputs). Nothing is resized
 * or normalised: loadBatch only checks that the model wants this very shape,
 * because silently feeding a 28×28 batch to a 32×32 model would fail far
 * from the cause.
 */
import { checkRange } from './catalogue';
import { openNpyRows, type NpyRows } from './npy';
import { validatePreprocessing } from './preprocess';
import { checkSampleOptions, drawChecked } from './sampling';
import type { OpenDatasetOptions, OpenedDataset, Preprocessing } from './types';

/**
 * The file as an image batch: [N, C, H, W] with 1 or 3 channels. Only the
 * header is read here; images are read one positioned read at a time, so a
 * large file is never loaded whole (nor read synchronously) to serve a few.
 */
export async function openNpyImages(path: string): Promise<NpyRows & { imageShape: [number, number, number] }> {
  const rows = await openNpyRows(path);
  try {
    const shape = rows.shape;
    if (shape.length !== 4) {
      throw new Error(`npy ${path}: shape [${shape.join(', ')}] is not [N, C, H, W] (images must be a 4-d batch)`);
    }
    const [count, c, h, w] = shape;
    if (count === 0) throw new Error(`npy ${path}: holds no images (N = 0)`);
    if (c !== 1 && c !== 3) throw new Error(`npy ${path}: ${c} channels in [N, C, H, W] = [${shape.join(', ')}]; expected 1 or 3 (is it NHWC?)`);
    return Object.assign(rows, { imageShape: [c, h, w] as [number, number, number] });
  } catch (err) {
    await rows.close();
    throw err;
  }
}

/** Image `index` of an .npy batch, with its [C, H, W]. */
export async function readNpyImage(path: string, index: number): Promise<{ data: Float32Array; shape: [number, number, number] }> {
  const images = await openNpyImages(path);
  try {
    if (index >= images.count) throw new Error(`npy ${path} has images 0..${images.count - 1}, not ${index}`);
    return { data: await images.read(index, 1), shape: images.imageShape };
  } finally {
    await images.close();
  }
}

export function parseNpyId(id: string): number {
  const m = /^npy:(\d+)$/.exec(id);
  if (!m) throw new Error(`not an npy sample id: ${JSON.stringify(id)} (expected npy:123)`);
  return Number(m[1]);
}

export async function openNpy(path: string, opts: OpenDatasetOptions): Promise<OpenedDataset> {
  checkSampleOptions(opts);
  const header = await openNpyImages(path);
  await header.close();
  const count = header.count;
  const [c, h, w] = header.imageShape;
  const per = c * h * w;
  const all = Array.from({ length: count }, (_, i) => i);
  const { accepted } = await drawChecked(all, opts.n, opts.seed, async () => null, count);
  const warnings = opts.n > count ? [`requested ${opts.n} images but ${path} holds ${count}; using all ${count}`] : [];
  return {
    samples: accepted.map((i) => ({ id: `npy:${i}` })),
    classes: [],
    skipped: [],
    warnings,
    async loadBatch(start: number, n: number, pre: Preprocessing): Promise<Float32Array> {
      checkRange(start, n, accepted.length);
      validatePreprocessing(pre);
      if (pre.channels !== c || pre.height !== h || pre.width !== w) {
        throw new Error(
          `npy ${path}: images are [C, H, W] = [${c}, ${h}, ${w}] but the model's preprocessing expects ` +
            `[${pre.channels}, ${pre.height}, ${pre.width}]; .npy input is used as is, so re-export it at the model's input size`,
        );
      }
      const out = new Float32Array(n * per);
      const file = await openNpyImages(path);
      try {
        // Runs of consecutive rows (the draw keeps file order) are one read each.
        for (let k = 0; k < n; ) {
          let run = 1;
          while (k + run < n && accepted[start + k + run] === accepted[start + k] + run) run++;
          out.set(await file.read(accepted[start + k], run), k * per);
          k += run;
        }
      } finally {
        await file.close();
      }
      return out;
    },
    async close() {},
  };
}
