/**
 * Already-preprocessed images as a float32 [N, C, H, W] .npy (what a Python
 * pipeline hands over, e.g. the published MNIST inputs). Nothing is resized
 * or normalised: loadBatch only checks that the model wants this very shape,
 * because silently feeding a 28×28 batch to a 32×32 model would fail far
 * from the cause.
 */
import { checkRange } from './catalogue';
import { readNpy } from './npy';
import { validatePreprocessing } from './preprocess';
import { checkSampleOptions, drawChecked } from './sampling';
import type { OpenDatasetOptions, OpenedDataset, Preprocessing } from './types';

export interface NpyImages {
  data: Float32Array;
  count: number;
  /** [C, H, W] */
  shape: [number, number, number];
}

export function readNpyImages(path: string): NpyImages {
  const arr = readNpy(path);
  if (arr.shape.length !== 4) {
    throw new Error(`npy ${path}: shape [${arr.shape.join(', ')}] is not [N, C, H, W] (images must be a 4-d batch)`);
  }
  const [count, c, h, w] = arr.shape;
  if (count === 0) throw new Error(`npy ${path}: holds no images (N = 0)`);
  if (c !== 1 && c !== 3) throw new Error(`npy ${path}: ${c} channels in [N, C, H, W] = [${arr.shape.join(', ')}]; expected 1 or 3 (is it NHWC?)`);
  return { data: arr.data, count, shape: [c, h, w] };
}

export function parseNpyId(id: string): number {
  const m = /^npy:(\d+)$/.exec(id);
  if (!m) throw new Error(`not an npy sample id: ${JSON.stringify(id)} (expected npy:123)`);
  return Number(m[1]);
}

export async function openNpy(path: string, opts: OpenDatasetOptions): Promise<OpenedDataset> {
  checkSampleOptions(opts);
  const images = readNpyImages(path);
  const [c, h, w] = images.shape;
  const per = c * h * w;
  const all = Array.from({ length: images.count }, (_, i) => i);
  const { accepted } = await drawChecked(all, opts.n, opts.seed, async () => null, images.count);
  const warnings =
    opts.n > images.count ? [`requested ${opts.n} images but ${path} holds ${images.count}; using all ${images.count}`] : [];
  return {
    samples: accepted.map((i) => ({ id: `npy:${i}` })),
    classes: [],
    skipped: [],
    warnings,
    async loadBatch(start: number, count: number, pre: Preprocessing): Promise<Float32Array> {
      checkRange(start, count, accepted.length);
      validatePreprocessing(pre);
      if (pre.channels !== c || pre.height !== h || pre.width !== w) {
        throw new Error(
          `npy ${path}: images are [C, H, W] = [${c}, ${h}, ${w}] but the model's preprocessing expects ` +
            `[${pre.channels}, ${pre.height}, ${pre.width}]; .npy input is used as is, so re-export it at the model's input size`,
        );
      }
      const out = new Float32Array(count * per);
      for (let k = 0; k < count; k++) {
        const i = accepted[start + k];
        out.set(images.data.subarray(i * per, (i + 1) * per), k * per);
      }
      return out;
    },
    async close() {},
  };
}
