/**
 * The forward passes of the sanity checks (sanity.ts): per analysed layer the
 * independent randomisation (the layer's filters re-drawn, with the
 * random-filter branch beside it) and the cascading one (every parameterised
 * layer after it re-drawn), over the analysis' images.
 *
 * Everything before the layer is the trained network in both, so neither
 * randomised model runs it. Per chunk of images one trained pass (the prefix,
 * up to the deepest cut of a group of layers) yields every boundary the group
 * needs (lib/models/graph-split.ts), and each randomised model runs only its
 * suffix: the independent one from the layer's input (its conv is the random
 * one), the cascading one from the layer's output (its conv is the trained
 * one, so its maps are the prefix's). The weights are those of the whole
 * randomised models (lib/models/randomise.ts, same seeds), so the results are
 * theirs up to ORT's fusions at the cut (tests/integration/sanity-split.test.ts).
 *
 * A group is a run of layers in graph order whose suffixes' weights (each
 * suffix session holds its own) and kept maps fit the analysis' memory
 * budget; a layer too big alone still runs, as a group of one.
 */
import { readFile } from 'node:fs/promises';
import type { InferenceSession } from 'onnxruntime-node';
import { Tensor } from 'onnxruntime-node';
import type { ConvLayerInfo } from '../models/engine';
import { boundaryAt, initializerBytesFrom, ONNX_ELEM_TYPE, prefixModel, suffixModel } from '../models/graph-split';
import { createOrtSession } from '../models/onnx-engine';
import { decodeOnnx, findConvNodes, graphInputs, graphOutputNames, type ModelProto } from '../models/onnx-graph';
import { randomisedModel, RANDOM_FILTERS_OUTPUT, type Randomisation } from '../models/randomise';
import { inputBatches } from './inputs';
import { targetsFromDataset, writeTargets } from './response';
import { randomFilterCount } from './sanity-plan';
import type { AnalysisSpec } from './types';

export interface SanityRunContext {
  spec: AnalysisSpec;
  n: number;
  /** The trained model's target per image (kept as the target when it comes from the dataset). */
  y: Float64Array;
  load: (start: number, count: number) => Promise<Float32Array>;
  batchSize: number;
  /** Per-image input [C, H, W] and the model's fixed batch size, if any (the analysis engine's). */
  inputShape: readonly number[];
  fixedBatchSize?: number | null;
  modelThreads?: number;
  /** Bytes the kept maps and the suffix sessions' weights of one group may take. */
  memoryBudgetBytes: number;
  stop: () => void;
}

export interface SanityRequest {
  layer: ConvLayerInfo;
  /** The channels whose maps are kept. */
  subset: number[];
}

export interface RandomisedRun {
  how: Randomisation;
  randomised: string[];
  /** The subset's maps [n, subset, positions] under the randomised model. */
  maps: Float32Array;
  /** The randomised model's target per image. */
  y: Float64Array;
  /** The random-filter branch's maps [n, filters, positions], when the model has it. */
  randomFilters?: Float32Array;
}

export interface LayerRuns {
  independent: RandomisedRun;
  cascading: RandomisedRun;
}

/** One randomised model's suffix, and what it keeps. */
interface Suffix {
  request: number;
  how: Randomisation;
  /** First node of the suffix. */
  at: number;
  boundary: string[];
  convOutput: string;
  run: RandomisedRun;
}

/**
 * Both randomised models' maps and targets for every request, handed to
 * `onLayer` group by group (a group's maps are freed before the next group
 * runs), in graph order.
 */
export async function randomisedRuns(ctx: SanityRunContext, requests: SanityRequest[], onLayer: (request: number, runs: LayerRuns) => Promise<void>): Promise<void> {
  const bytes = await readFile(ctx.spec.model.path);
  const trained = decodeOnnx(bytes);
  const nodes = trained.graph!.node!;
  const convs = findConvNodes(trained);
  const layers = requests.map(({ layer, subset }, request) => {
    const conv = convs.find((c) => c.name === layer.name);
    if (!conv) throw new Error(`unknown conv layer '${layer.name}'`);
    const at = nodes.findIndex((n) => n.output?.[0] === conv.outputName);
    const kept = (channels: number) => 4 * ctx.n * channels * layer.mapHeight * layer.mapWidth;
    const run = (how: Randomisation): RandomisedRun => ({ how, randomised: [], maps: new Float32Array(0), y: new Float64Array(ctx.n) });
    // Only an ungrouped conv gets the branch (randomise.ts addRandomFilterBranch); its R filters are within the layer's weights.
    const R = conv.groups === 1 ? randomFilterCount(layer.channels) : 0;
    const suffixes: [Suffix, Suffix] = [
      { request, how: 'independent', at, boundary: boundaryAt(trained, at), convOutput: conv.outputName, run: run('independent') },
      { request, how: 'cascading', at: at + 1, boundary: boundaryAt(trained, at + 1), convOutput: conv.outputName, run: run('cascading') },
    ];
    const footprint = initializerBytesFrom(trained, at) + initializerBytesFrom(trained, at + 1) + kept(2 * subset.length + R);
    return { request, at, suffixes, footprint };
  });
  layers.sort((x, y) => x.at - y.at);
  for (let i = 0; i < layers.length; ) {
    let j = i + 1;
    let used = layers[i].footprint;
    while (j < layers.length && used + layers[j].footprint <= ctx.memoryBudgetBytes) used += layers[j++].footprint;
    const group = layers.slice(i, j);
    await runGroup(ctx, bytes, trained, group.flatMap((l) => l.suffixes), requests);
    for (const l of group) await onLayer(l.request, { independent: l.suffixes[0].run, cascading: l.suffixes[1].run });
    i = j;
  }
}

/** One trained prefix pass per chunk, each suffix of the group run from it; fills each suffix's run. */
async function runGroup(ctx: SanityRunContext, bytes: Uint8Array, trained: ModelProto, group: Suffix[], requests: SanityRequest[]): Promise<void> {
  const { spec, n } = ctx;
  const input = graphInputs(trained)[0].name;
  const logits = graphOutputNames(trained)[0];
  const fromDataset = targetsFromDataset(spec);
  const cut = Math.max(...group.map((s) => s.at));
  // The cascading suffixes read the trained conv's maps from the prefix.
  // A suffix with no nodes (the conv computes the logits) reads them from the prefix too.
  const last = trained.graph!.node!.length;
  const wanted = [...new Set(group.flatMap((s) => (s.how === 'cascading' ? [...s.boundary, s.convOutput, ...(s.at >= last ? [logits] : [])] : s.boundary)))].filter((t) => t !== input);
  const sessionOptions = { intraOpNumThreads: ctx.modelThreads, releaseArena: true };
  const prefix = wanted.length ? (await createOrtSession(prefixModel(decodeOnnx(bytes), cut, wanted), sessionOptions)).session : null;
  const sessions: (InferenceSession | null)[] = [];
  try {
    for (const s of group) {
      const { layer, subset } = requests[s.request];
      s.run.maps = new Float32Array(n * subset.length * layer.mapHeight * layer.mapWidth);
    }
    // A model with a fixed batch size takes padded batches; only the first `count` rows are read.
    const batches = inputBatches(ctx.load, n, ctx.batchSize, { shape: ctx.inputShape, fixedBatchSize: ctx.fixedBatchSize }, ctx.stop);
    for await (const { start, count, batch, runSize } of batches) {
      const values: Record<string, Tensor> = { [input]: new Tensor('float32', batch, [runSize, ...ctx.inputShape]) };
      if (prefix) Object.assign(values, await prefix.run({ [input]: values[input] }, wanted));
      if (!sessions.length) {
        // Boundary types are known once the prefix has run (a shape tensor can be int64).
        const types = new Map(Object.entries(values).map(([name, t]) => [name, ONNX_ELEM_TYPE[t.type] ?? 1]));
        for (const s of group) sessions.push(s.at >= last ? null : await suffixSession(bytes, s, requests[s.request], spec.seed, n, types, sessionOptions));
      }
      for (let g = 0; g < group.length; g++) {
        const s = group[g];
        const { layer, subset } = requests[s.request];
        const C = layer.channels;
        const P = layer.mapHeight * layer.mapWidth;
        const outputs = s.how === 'independent' ? [logits, s.convOutput, ...(s.run.randomFilters ? [RANDOM_FILTERS_OUTPUT] : [])] : [logits];
        const session = sessions[g];
        const res = session ? await session.run(Object.fromEntries(s.boundary.map((b) => [b, values[b]])), outputs) : values;
        const maps = (s.how === 'independent' ? res[s.convOutput] : values[s.convOutput]).data as Float32Array;
        const out = res[logits].data as Float32Array;
        // A dataset target is not the model's: only the maps change.
        if (fromDataset) s.run.y.set(ctx.y.subarray(start, start + count), start);
        else writeTargets(s.run.y, out.subarray(0, (out.length / runSize) * count), start, count, spec);
        // The branch's maps are [rows, R, P]: the first `count` rows appended whole.
        if (s.run.randomFilters) {
          const R = s.run.randomFilters.length / (n * P);
          s.run.randomFilters.set((res[RANDOM_FILTERS_OUTPUT].data as Float32Array).subarray(0, count * R * P), start * R * P);
        }
        for (let b = 0; b < count; b++) {
          subset.forEach((c, j) => s.run.maps.set(maps.subarray((b * C + c) * P, (b * C + c + 1) * P), ((start + b) * subset.length + j) * P));
        }
      }
    }
  } finally {
    await prefix?.release();
    for (const s of sessions) await s?.release();
  }
}

/**
 * The session of one randomised model's suffix; records which layers it
 * re-drew and, when the independent model got the random-filter branch (an
 * ungrouped conv with a non-zero filter), makes room for its maps.
 */
async function suffixSession(
  bytes: Uint8Array,
  s: Suffix,
  { layer }: SanityRequest,
  seed: number,
  n: number,
  types: Map<string, number>,
  options: { intraOpNumThreads?: number; releaseArena: boolean },
): Promise<InferenceSession> {
  const R = s.how === 'independent' ? randomFilterCount(layer.channels) : 0;
  const model = randomisedModel(bytes, layer.name, s.how, seed, R);
  s.run.randomised = model.randomised;
  if (model.randomFilters) s.run.randomFilters = new Float32Array(n * R * layer.mapHeight * layer.mapWidth);
  // The independent model's branch sits right after the conv, inside its suffix.
  const extra = s.how === 'independent' ? [s.convOutput, ...(model.randomFilters ? [RANDOM_FILTERS_OUTPUT] : [])] : [];
  return (await createOrtSession(suffixModel(decodeOnnx(model.bytes), s.at, s.boundary, types, [], extra), options)).session;
}
