/**
 * A plain ONNX Runtime forward pass: the unedited model (logits only, every
 * graph optimisation, ORT's memory arena, the faster of ORT's default threads
 * and one per core, as the analysis runs it) over the same
 * preprocessed images an analysis ranks, timed in wall and CPU seconds. It is
 * the floor of any pass that captures activations, and the unit the issue's
 * goals count in ("the whole analysis within N plain passes"), so benches time
 * it in the same run as what they compare with it.
 */
import { availableParallelism } from 'node:os';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { openDataset } from '../lib/datasets/index';
import { defaultPreprocessing } from '../lib/datasets/preprocess';
import { parseDataArg } from '../lib/cli/data-arg';

export interface PlainPass {
  batchSize: number;
  /** ORT's intra-op threads of the faster setting: 0 = ORT's default. */
  threads: number;
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
 * batch that warms the session up, with ORT's default threads and with one
 * per core (the analysis' setting; ORT's default can be fewer): the faster of
 * the two. Each pass is its own session, created outside the timing.
 */
export async function plainForward(model: string, images: Float32Array, inputShape: readonly number[], batchSizes: readonly number[]): Promise<PlainPass[]> {
  const per = inputShape.reduce((a, b) => a * b, 1);
  const n = images.length / per;
  const passes: PlainPass[] = [];
  for (const batchSize of batchSizes) {
    let best: PlainPass | null = null;
    for (const threads of [0, availableParallelism()]) {
      const session = await InferenceSession.create(model, { graphOptimizationLevel: 'all', ...(threads ? { intraOpNumThreads: threads } : {}) });
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
        const pass = { batchSize, threads, seconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6 };
        if (!best || pass.seconds < best.seconds) best = pass;
      } finally {
        await session.release();
      }
    }
    passes.push(best!);
  }
  return passes;
}

/** The fastest of `passes` by wall time. */
export function fastest(passes: readonly PlainPass[]): PlainPass {
  return passes.reduce((best, p) => (p.seconds < best.seconds ? p : best));
}
