/**
 * Real layers for the statistics benchmarks: the demo MNIST CNN's conv layers on
 * n MNIST test digits (lib/datasets + lib/models, as an analysis would see them),
 * with the class-3 logit and seeded Gaussian targets independent of the images.
 */
import path from 'node:path';
import { openModel } from '../lib/models/open-model';
import { openDataset } from '../lib/datasets/index';
import { defaultPreprocessing } from '../lib/datasets/preprocess';
import { Rng } from '../lib/pcace/random';

export interface RealLayer {
  name: string;
  data: Float32Array;
  n: number;
  channels: number;
  positions: number;
}

export interface RealLayers {
  layers: RealLayer[];
  /** Pre-softmax score of class 3 per image. */
  class3: Float64Array;
  n: number;
}

export async function mnistCnnLayers(n: number, imageSeed = 1): Promise<RealLayers> {
  const engine = await openModel(path.resolve('models/demo/mnist-cnn.onnx'), 'onnx');
  const ds = await openDataset({ kind: 'mnist', split: 'test' }, { n, seed: imageSeed });
  try {
    const pre = defaultPreprocessing(engine.input.shape as [number, number, number]);
    const batch = await ds.loadBatch(0, ds.samples.length, pre);
    const names = engine.listConvLayers().map((l) => l.name);
    const out = await engine.run(batch, ds.samples.length, names);
    const width = out.output.data.length / ds.samples.length;
    const class3 = Float64Array.from({ length: ds.samples.length }, (_, i) => out.output.data[i * width + 3]);
    const layers = names.map((name) => {
      const t = out.activations.get(name)!;
      const [, C, H, W] = t.dims;
      return { name, data: Float32Array.from(t.data), n: ds.samples.length, channels: C, positions: H * W };
    });
    return { layers, class3, n: ds.samples.length };
  } finally {
    await ds.close();
    await engine.dispose();
  }
}

/** Seeded standard-normal regression target, independent of the images. */
export function randomTarget(n: number, seed: number): Float64Array {
  const rng = new Rng(0x5eed0000 + seed);
  return Float64Array.from({ length: n }, () => rng.normal());
}
