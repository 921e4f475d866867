/**
 * Network-wide deletion curves (the paper's §8 pruning experiment across the
 * network): channels of every analysed layer are removed together, by
 * mean-ablation, in each measure's global order — top-first and
 * bottom-first — and the class score, its RMS change per image and the
 * accuracy are read at the same fractions as the per-layer curves
 * (curves.ts, whose machinery this reuses), against random orders as a band.
 *
 * A global order needs values comparable across layers:
 *  - PCACE: the global ranking by the null-standardised effect
 *    (global-ranking.ts; raw scores are not comparable across layers), so
 *    the curve exists only when every analysed layer has a null;
 *  - the ablation drops, Taylor and conductance are changes of the class
 *    score itself, in its units whatever the layer;
 *  - mean |activation| and filter L1 are not (each layer has its own scale):
 *    their global order is the naive one magnitude pruning uses, and its
 *    curves show what that costs.
 * Runs happen in the model process (the worker's sandbox or the CLI), after
 * every layer's measures exist.
 */
import { NetworkEditor } from '../../models/network-edit';
import { InputBatches, openAnalysisInputs } from '../inputs';
import type { DatasetSample } from '../../datasets/types';
import type { AnalysisSpec, ChannelResult } from '../types';
import { classLabels } from './layer-step';
import { curveRuns, deletionCurves, type ChannelRemover, type LayerCurves } from './curves';
import { IMPORTANCE_MEASURES } from './types';

/** The curve key of PCACE's global order. */
export const NETWORK_PCACE_KEY = 'effect';

export interface NetworkCurves extends LayerCurves {
  /** The layers whose channels were removed, in the order their channels are numbered here. */
  layers: { name: string; channels: number }[];
  settings: { images: number; target_index: number; random_orders: number; removal: 'mean'; pcace: typeof NETWORK_PCACE_KEY; engine: string };
  /** Measures with no global order and why (e.g. PCACE without a null). */
  left_out: { measure: string; reason: string }[];
  seconds: number;
}

/** What an analysis stores: the curves, or why they could not be run. */
export type StoredNetworkCurves = NetworkCurves | { error: string };

export interface NetworkCurveLayer {
  name: string;
  channels: ChannelResult[];
}

/** The measures' values over every channel of every layer, in layer order then channel index. */
export function globalOrders(layers: readonly NetworkCurveLayer[]): { measures: { key: string; values: Float64Array }[]; left_out: NetworkCurves['left_out'] } {
  const flat = layers.flatMap((l) => [...l.channels].sort((a, b) => a.index - b.index));
  const column = (key: string) => Float64Array.from(flat, (c) => {
    const v = (c as unknown as Record<string, unknown>)[key];
    return typeof v === 'number' ? v : NaN;
  });
  const measures: { key: string; values: Float64Array }[] = [];
  const left_out: NetworkCurves['left_out'] = [];
  for (const key of [NETWORK_PCACE_KEY, ...IMPORTANCE_MEASURES]) {
    const values = column(key);
    if (values.every(Number.isFinite)) measures.push({ key, values });
    else if (key === NETWORK_PCACE_KEY) left_out.push({ measure: key, reason: 'not every analysed layer has a null (nullPermutations 0), so there is no effect to rank channels across layers by' });
    else if (values.some(Number.isFinite)) left_out.push({ measure: key, reason: 'measured for some layers only' });
  }
  return { measures, left_out };
}

/** Edited runs networkDeletionCurves makes at most. */
export function networkCurveRuns(measures: number, randomOrders: number): number {
  return curveRuns(measures, randomOrders);
}

export interface NetworkCurveOptions {
  threads?: number;
  onFraction?: (fraction: number) => void;
  shouldStop?: () => boolean;
}

export async function networkDeletionCurves(
  spec: AnalysisSpec,
  layers: readonly NetworkCurveLayer[],
  images: Float32Array,
  samples: DatasetSample[],
  outputWidth: number,
  options: NetworkCurveOptions = {},
): Promise<NetworkCurves> {
  if (spec.model.format !== 'onnx') throw new Error('network-wide deletion curves are available for ONNX models');
  const t0 = performance.now();
  const n = samples.length;
  const index = spec.target.kind === 'class' ? spec.target.index : spec.target.index ?? 0;
  const t = { target: new Int32Array(n).fill(index), labels: spec.target.kind === 'class' ? classLabels(samples, outputWidth) : null };
  const randomOrders = spec.curveRandomOrders ?? 0;
  const { measures, left_out } = globalOrders(layers);
  const editor = await NetworkEditor.open(spec.model.path, { layers: layers.map((l) => l.name), images, count: n, intraOpNumThreads: options.threads });
  try {
    const offsets: number[] = [];
    let total = 0;
    for (const l of editor.layers) {
      offsets.push(total);
      total += l.channels;
    }
    layers.forEach((l, i) => {
      if (l.channels.length !== editor.layers[i].channels) throw new Error(`layer ${l.name}: ${l.channels.length} channel results for ${editor.layers[i].channels} channels`);
    });
    // A flat channel index → its layer and channel there.
    const remover: ChannelRemover = {
      channels: total,
      classes: editor.classes,
      runRemoved(removed) {
        const perLayer: number[][] = editor.layers.map(() => []);
        let l = 0;
        for (const flat of removed) {
          while (l + 1 < offsets.length && flat >= offsets[l + 1]) l++;
          perLayer[l].push(flat - offsets[l]);
        }
        return editor.runRemoved(perLayer);
      },
    };
    const runs = networkCurveRuns(measures.length, randomOrders);
    let done = 0;
    const curves = await deletionCurves(remover, t, measures, {
      randomOrders,
      seed: spec.seed,
      onRun: () => options.onFraction?.(Math.min(1, ++done / runs)),
      shouldStop: options.shouldStop,
    });
    return {
      ...curves,
      layers: editor.layers.map((l) => ({ name: l.name, channels: l.channels })),
      settings: { images: n, target_index: index, random_orders: randomOrders, removal: 'mean', pcace: NETWORK_PCACE_KEY, engine: 'onnxruntime-node (every edited layer in one graph)' },
      left_out,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await editor.release();
  }
}

/**
 * The curves for a stored analysis (a worker's network-curves task, queued when its last layer was stored): the
 * analysis' own images opened as the layer tasks opened them.
 */
export async function networkCurvesForSpec(spec: AnalysisSpec, layers: readonly NetworkCurveLayer[], options: NetworkCurveOptions = {}): Promise<NetworkCurves> {
  const opened = await openAnalysisInputs(spec, { threads: options.threads });
  try {
    const ds = await opened.dataset();
    const images = await new InputBatches(opened, ds.samples.length, 16).all();
    return await networkDeletionCurves(spec, layers, images, ds.samples, opened.model.output.shape.reduce((a, b) => a * b, 1), options);
  } finally {
    await opened.close();
  }
}
