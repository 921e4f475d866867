/**
 * What an analysis runs on, opened one way for the ranking (run-analysis.ts)
 * and for the channel artifacts (artifacts/): the model, its preprocessing
 * (the spec's, else the model's sidecar, else the defaults for its input
 * shape), the analysis' own image sample (dataset spec, n and seed: what is
 * shown is what was ranked) and its batches through the model.
 */
import type { InputInfo, ModelEngine, RunResult } from '../models/engine';
import { openModel } from '../models/open-model';
import { sidecarPreprocessing } from '../models/sidecar';
import { openDataset } from '../datasets/index';
import { defaultPreprocessing } from '../datasets/preprocess';
import type { OpenedDataset, Preprocessing } from '../datasets/types';
import { PcaceInputError } from '../pcace/validate';
import type { AnalysisSpec } from './types';

/** Preprocessed inputs are cached in memory up to this size, re-decoded per pass above it. */
const INPUT_CACHE_LIMIT = 1 << 30;

export interface AnalysisInputs<M extends { input: InputInfo; dispose(): Promise<void> } = ModelEngine> {
  model: M;
  /** Per-image input shape [C, H, W]. */
  inputShape: [number, number, number];
  preprocessing: Preprocessing;
  /** The analysis' image sample, opened on first use (so a bad layer or channel is refused before decoding images). */
  dataset(): Promise<OpenedDataset>;
  /** Preprocessed images [start, start + count) of the sample. */
  load(start: number, count: number): Promise<Float32Array>;
  /** The dataset (if opened), then the model. */
  close(): Promise<void>;
}

/** The analysis engine (ONNX Runtime for .onnx) with the sample; failures the user caused are input errors. */
export async function openAnalysisInputs(spec: AnalysisSpec, opts: { threads?: number } = {}): Promise<AnalysisInputs> {
  return openAnalysisInputsWith(spec, () => asInputError(`cannot load the model ${spec.model.path}`, () => openModel(spec.model.path, spec.model.format, { threads: opts.threads })));
}

/** The same with another kind of model (the differentiable TF.js form for gradients). */
export async function openAnalysisInputsWith<M extends { input: InputInfo; dispose(): Promise<void> }>(
  spec: AnalysisSpec,
  open: () => Promise<M>,
): Promise<AnalysisInputs<M>> {
  const model = await open();
  const inputShape = model.input.shape as [number, number, number];
  const preprocessing = spec.model.preprocessing ?? sidecarPreprocessing(spec.model.path) ?? defaultPreprocessing(inputShape);
  let opened: Promise<OpenedDataset> | null = null;
  const dataset = () => (opened ??= asInputError('cannot open the dataset', () => openDataset(spec.dataset, { n: spec.images, seed: spec.seed })));
  return {
    model,
    inputShape,
    preprocessing,
    dataset,
    load: async (start, count) => (await dataset()).loadBatch(start, count, preprocessing),
    async close() {
      try {
        if (opened) await (await opened.catch(() => null))?.close();
      } finally {
        await model.dispose();
      }
    },
  };
}

/** Failures caused by what the user supplied (model, data, layer names) become input errors: retrying cannot help. */
export async function asInputError<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof PcaceInputError) throw err;
    throw new PcaceInputError(`${what}: ${(err as Error).message}`);
  }
}

/** Bytes InputBatches keeps for n images of `inputShape` ([C, H, W]): all of them when they fit its cache, else none. */
export function inputCacheBytes(n: number, inputShape: readonly number[]): number {
  const bytes = n * inputShape.reduce((a, b) => a * b, 1) * 4;
  return bytes > INPUT_CACHE_LIMIT ? 0 : bytes;
}

/** The sample's preprocessed batches for several passes: held in memory when they fit, re-decoded per pass otherwise. */
export class InputBatches {
  private cache: Float32Array | null = null;
  private readonly perImage: number;

  constructor(
    private readonly inputs: Pick<AnalysisInputs<{ input: InputInfo; dispose(): Promise<void> }>, 'load' | 'inputShape'>,
    private readonly n: number,
    readonly batchSize: number,
  ) {
    this.perImage = inputs.inputShape.reduce((a, b) => a * b, 1);
  }

  /** Every image at once (ablation needs them together). */
  all(): Promise<Float32Array> {
    return this.batch(0, this.n);
  }

  async batch(start: number, count: number): Promise<Float32Array> {
    if (this.n * this.perImage * 4 > INPUT_CACHE_LIMIT) return this.inputs.load(start, count);
    if (!this.cache) {
      this.cache = new Float32Array(this.n * this.perImage);
      for (let s = 0; s < this.n; s += this.batchSize) {
        const c = Math.min(this.batchSize, this.n - s);
        this.cache.set(await this.inputs.load(s, c), s * this.perImage);
      }
    }
    return this.cache.subarray(start * this.perImage, (start + count) * this.perImage);
  }
}

/**
 * Images [0, n) in batches of at most `batchSize` (loaded through `load`),
 * each with its first image, the real images it holds (`count`) and the batch
 * size to run: a model exported with a fixed batch size gets batches of
 * exactly that size, the last one zero-padded. `stop` is called before each.
 */
export async function* inputBatches(
  load: (start: number, count: number) => Promise<Float32Array>,
  n: number,
  batchSize: number,
  input: { shape: readonly number[]; fixedBatchSize: number | null | undefined },
  stop: () => void = () => {},
): AsyncGenerator<{ start: number; count: number; batch: Float32Array; runSize: number }> {
  const per = input.shape.reduce((a, b) => a * b, 1);
  const fixed = input.fixedBatchSize;
  const size = fixed ?? batchSize;
  for (let start = 0; start < n; start += size) {
    stop();
    const count = Math.min(size, n - start);
    let batch = await load(start, count);
    if (fixed && count < fixed) {
      const padded = new Float32Array(fixed * per);
      padded.set(batch.subarray(0, count * per));
      batch = padded;
    }
    yield { start, count, batch, runSize: fixed ?? count };
  }
}

/**
 * Runs `engine` over images [0, n) in batches of at most `batchSize`
 * (loaded through `load`), returning the named layers per batch. A model
 * exported with a fixed batch size gets batches of exactly that size, the
 * last one zero-padded; `onBatch` sees only the real images' rows.
 */
export async function forwardBatches(
  engine: ModelEngine,
  load: (start: number, count: number) => Promise<Float32Array>,
  n: number,
  batchSize: number,
  layers: readonly string[],
  /** May return a promise: the batch's buffers stay untouched until it settles (spill writes in flight). */
  onBatch: (out: RunResult, start: number, count: number) => void | Promise<void>,
  stop: () => void = () => {},
  /**
   * Per layer, room for a whole batch's maps (batchSize or the model's fixed size), reused for
   * every batch (ModelEngine.run's `into`). Two sets alternate: the next batch runs into one
   * while what `onBatch` started on the other (writing it to disk) finishes.
   */
  into?: ReadonlyMap<string, Float32Array> | readonly ReadonlyMap<string, Float32Array>[],
  /** False: `onBatch` reads only the layers, so the engine may stop after the last of them (ModelEngine.run's `options.output`). */
  output = true,
): Promise<void> {
  const fixed = engine.input.fixedBatchSize;
  const size = fixed ?? batchSize;
  const sets: (ReadonlyMap<string, Float32Array> | undefined)[] = into === undefined ? [undefined] : Array.isArray(into) ? [...into] : [into as ReadonlyMap<string, Float32Array>];
  // What each set's last batch still does with its buffers; a set is run into again only once it is done.
  const busy: (void | Promise<void>)[] = sets.map(() => undefined);
  let k = 0;
  try {
    for await (const { start, count, batch, runSize } of inputBatches(load, n, batchSize, engine.input, stop)) {
      const slot = k++ % sets.length;
      await busy[slot];
      const set = sets[slot];
      const views = set && new Map([...set].map(([name, buffer]) => [name, buffer.subarray(0, (buffer.length / size) * runSize)]));
      const out = await engine.run(batch, runSize, layers, views, { output });
      if (fixed && count < fixed) {
        const width = out.output.data.length / fixed;
        out.output = { data: out.output.data.subarray(0, count * width), dims: [count, ...out.output.dims.slice(1)] };
      }
      busy[slot] = onBatch(out, start, count);
      if (sets.length === 1) await busy[slot];
    }
    await Promise.all(busy);
  } finally {
    // On an error or a cancel, nothing may still be writing once the caller closes its files.
    await Promise.allSettled(busy);
  }
}
