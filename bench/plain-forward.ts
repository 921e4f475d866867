/**
 * A plain ONNX Runtime forward pass: the unedited model (logits only, every
 * graph optimisation, ORT's default threads and memory arena) over the same
 * preprocessed images an analysis ranks, timed in wall and CPU seconds. It is
 * the floor of any pass that captures activations, and the unit the issue's
 * goals count in ("the whole analysis within N plain passes"), so benches time
 * it in the same run as what they compare with it.
 */
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { openDataset } from '../lib/datasets/index';
import { defaultPreprocessing } from '../lib/datasets/preprocess';
import { parseDataArg } from '../lib/cli/data-arg';

export interface PlainPass {
  batchSize: number;
  seconds: number;
  cpuSeconds: number;
}

/**
 * The images `pcace rank --data DATA --n N` ranks with its default seed and
 * preprocessing (the defaults for the model's input shape), as one [n, C, H, W] array.
 */
export async function rankImages(data: string, n: number, inputShape: [number, number, number], seed = 1): Promise<Float32Array> {
  const ds = await openDataset(parseDataArg(data), { n, seed });
  try {
    return await ds.loadBatch(0, ds.samples.length, defaultPreprocessing(inputShape));
  } finally {
    await ds.close();
  }
}

/**
 * One pass over `images` ([n, C, H, W]) per batch size, after one untimed
 * batch that warms the session up. Each pass is its own session, created
 * outside the timing.
 */
export async function plainForward(model: string, images: Float32Array, inputShape: readonly number[], batchSizes: readonly number[]): Promise<PlainPass[]> {
  const per = inputShape.reduce((a, b) => a * b, 1);
  const n = images.length / per;
  const passes: PlainPass[] = [];
  for (const batchSize of batchSizes) {
    const session = await InferenceSession.create(model, { graphOptimizationLevel: 'all' });
    try {
      const run = (start: number) => {
        const count = Math.min(batchSize, n - start);
        return session.run({ [session.inputNames[0]]: new Tensor('float32', images.subarray(start * per, (start + count) * per), [count, ...inputShape]) });
      };
      await run(0);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let s = 0; s < n; s += batchSize) await run(s);
      const c = process.cpuUsage(c0);
      passes.push({ batchSize, seconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6 });
    } finally {
      await session.release();
    }
  }
  return passes;
}

/** The fastest of `passes` by wall time. */
export function fastest(passes: readonly PlainPass[]): PlainPass {
  return passes.reduce((best, p) => (p.seconds < best.seconds ? p : best));
}
