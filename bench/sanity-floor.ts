/**
 * The floor of the sanity checks' forward passes (bench/sanity.ts cost): what
 * any implementation of "two randomised models per layer on the same images"
 * must compute, measured against a plain forward pass in the same run.
 *
 * Everything before a layer is the trained network in both randomised models,
 * so at best it is computed once for the analysis itself and never again. What
 * remains per layer is the independent model from the layer on (its random
 * conv, the random-filter branch beside it, the trained rest) and the
 * cascading model after the layer. Multiply-accumulates per image come from
 * the ONNX graph: a Conv's weight elements times its output positions (ORT's
 * map sizes), a Gemm's or MatMul's weight elements (one row per image, as in
 * these classifiers). The other ops (ReLU, pooling, additions) are left out,
 * so the fractions slightly favour the floor.
 */
import { readFile } from 'node:fs/promises';
import { Tensor } from 'onnxruntime-node';
import type { ConvLayerInfo } from '../lib/models/engine';
import { createOrtSession } from '../lib/models/onnx-engine';
import { decodeOnnx, elementCount, findConvNodes, graphInputs, graphOutputNames } from '../lib/models/onnx-graph';
import { parameterisedLayers } from '../lib/models/randomise';
import { randomFilterCount } from '../lib/analysis/sanity-plan';
import { randomisedRuns } from '../lib/analysis/sanity-runs';
import { DEFAULT_MEMORY_BUDGET_BYTES } from '../lib/analysis/plan';
import type { AnalysisSpec } from '../lib/analysis/types';

export interface LayerFraction {
  name: string;
  /** Share of the network's MACs from the layer on (independent model, with its random-filter branch). */
  independent: number;
  /** Share after the layer (cascading model). */
  cascading: number;
}

/** Per analysed layer, the shares of one whole forward pass its two randomised models need at least. */
export async function suffixFractions(modelPath: string, layers: ConvLayerInfo[]): Promise<LayerFraction[]> {
  const model = decodeOnnx(await readFile(modelPath));
  const positions = new Map(layers.map((l) => [l.name, l.mapHeight * l.mapWidth]));
  const groups = new Map(findConvNodes(model).map((c) => [c.name, c.groups]));
  const macs = parameterisedLayers(model).map((p) => {
    const weights = elementCount(p.weight);
    if (p.opType !== 'Conv') return { p, macs: weights };
    const P = positions.get(p.convName ?? '');
    if (P === undefined) throw new Error(`conv '${p.convName ?? p.nodeName}' has no map size: analyse every conv layer`);
    return { p, macs: weights * P };
  });
  const total = macs.reduce((a, m) => a + m.macs, 0);
  return layers.map((l) => {
    const own = macs.find((m) => m.p.convName === l.name)!;
    const after = macs.filter((m) => m.p.nodeIndex > own.p.nodeIndex).reduce((a, m) => a + m.macs, 0);
    const branch = groups.get(l.name) === 1 ? (randomFilterCount(l.channels) / l.channels) * own.macs : 0;
    return { name: l.name, independent: (own.macs + branch + after) / total, cascading: after / total };
  });
}

/** Every image of the analysis, loaded once, in batches of `batchSize` (the loading is not timed with the passes). */
export async function preload(load: (start: number, count: number) => Promise<Float32Array>, n: number, batchSize: number): Promise<Float32Array[]> {
  const batches: Float32Array[] = [];
  for (let s = 0; s < n; s += batchSize) batches.push(await load(s, Math.min(batchSize, n - s)));
  return batches;
}

/** Seconds of one plain forward pass of the trained model (only its output fetched, ORT's fusions free) over the preloaded batches. */
export async function plainPassSeconds(modelPath: string, batches: Float32Array[], inputShape: readonly number[], modelThreads?: number): Promise<number> {
  const bytes = await readFile(modelPath);
  const model = decodeOnnx(bytes);
  const input = graphInputs(model)[0].name;
  const output = graphOutputNames(model)[0];
  const { session } = await createOrtSession(bytes, { intraOpNumThreads: modelThreads, releaseArena: true });
  const per = inputShape.reduce((a, b) => a * b, 1);
  try {
    const t0 = performance.now();
    for (const b of batches) await session.run({ [input]: new Tensor('float32', b, [b.length / per, ...inputShape]) }, [output]);
    return (performance.now() - t0) / 1000;
  } finally {
    await session.release();
  }
}

/** Seconds of the sanity checks' forward passes (default sanity-runs.ts's) for the layers and subsets given, images preloaded. */
export async function sanityRunSeconds(
  spec: AnalysisSpec,
  batches: Float32Array[],
  n: number,
  inputShape: readonly number[],
  requests: { layer: ConvLayerInfo; subset: number[] }[],
  via: typeof randomisedRuns = randomisedRuns,
): Promise<number> {
  const batchSize = batches[0].length / inputShape.reduce((a, b) => a * b, 1);
  const t0 = performance.now();
  await via(
    {
      spec,
      n,
      y: new Float64Array(n),
      load: async (start) => batches[start / batchSize],
      batchSize,
      inputShape,
      memoryBudgetBytes: DEFAULT_MEMORY_BUDGET_BYTES,
      stop: () => {},
    },
    requests,
    async () => {},
  );
  return (performance.now() - t0) / 1000;
}
