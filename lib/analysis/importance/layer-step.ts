/**
 * The importance step of a layer task (the analysis' `ablation` option): in
 * the model process, after PCACE has ranked the layer, every measure of
 * measures.ts, the deletion curves of curves.ts in each measure's order, and
 * the agreement of PCACE with each measure (lib/pcace/agreement.ts).
 */
import { LayerEditor } from '../../models/layer-edit';
import type { ConvLayerInfo } from '../../models/engine';
import type { DatasetSample } from '../../datasets/types';
import { rankAgreement } from '../../pcace/agreement';
import type { RankingScore } from '../../pcace/index';
import type { AnalysisSpec, ChannelResult } from '../types';
import { deletionCurves, curveRuns, layerRemover } from './curves';
import { measureLayer, measureRuns } from './measures';
import { IMPORTANCE_MEASURES, pcaceField, type LayerImportance, type MeasureKey } from './types';

export interface ImportanceStepOptions {
  /** Bytes the split run keeps per layer (its output for every image); above it the whole graph reruns per edit. */
  memoryBudgetBytes: number;
  threads?: number;
  onFraction?: (fraction: number) => void;
  shouldStop?: () => boolean;
}

/**
 * Adds the measures to `channels` (by index) and returns the layer's block:
 * curves, agreement, settings.
 */
export async function importanceForLayer(
  spec: AnalysisSpec,
  layer: ConvLayerInfo,
  images: Float32Array,
  samples: DatasetSample[],
  outputWidth: number,
  channels: ChannelResult[],
  options: ImportanceStepOptions,
): Promise<LayerImportance> {
  if (spec.model.format !== 'onnx') throw new Error('importance measures are available for ONNX models');
  const n = samples.length;
  const index = spec.target.kind === 'class' ? spec.target.index : spec.target.index ?? 0;
  const labels = spec.target.kind === 'class' ? classLabels(samples, outputWidth) : null;
  const t = { target: new Int32Array(n).fill(index), labels };
  const steps = spec.conductanceSteps ?? 0;
  const randomOrders = spec.curveRandomOrders ?? 0;
  const boundaryBytes = n * layer.channels * layer.mapHeight * layer.mapWidth * 4;
  const editor = await LayerEditor.open(spec.model.path, {
    layer: layer.name,
    images,
    count: n,
    split: boundaryBytes <= options.memoryBudgetBytes,
    intraOpNumThreads: options.threads,
  });
  try {
    const C = editor.channels;
    const total = measureRuns(C, steps) + curveRuns(IMPORTANCE_MEASURES.length + 1, randomOrders);
    let done = 0;
    const tick = () => options.onFraction?.(Math.min(1, ++done / total));
    const m = await measureLayer(editor, t, { steps, onRun: tick, shouldStop: options.shouldStop });
    const byIndex = [...channels].sort((a, b) => a.index - b.index);
    if (byIndex.length !== C) throw new Error(`layer ${layer.name}: ${byIndex.length} channel results for ${C} channels`);
    const columns: Record<MeasureKey, Float64Array | null> = {
      mean_ablation_drop: m.meanAblationDrop,
      mean_ablation_rms: m.meanAblationRms,
      ablation_drop: m.zeroAblationDrop,
      mean_abs_activation: m.meanAbsActivation,
      filter_l1: m.filterL1,
      taylor: m.taylor,
      conductance: m.conductance,
    };
    byIndex.forEach((c, i) => {
      for (const [key, values] of Object.entries(columns)) if (values) c[key as MeasureKey] = values[i];
      if (m.meanAblationAccuracyDrop) c.mean_ablation_accuracy_drop = m.meanAblationAccuracyDrop[i];
      if (m.zeroAblationAccuracyDrop) c.ablation_accuracy_drop = m.zeroAblationAccuracyDrop[i];
    });
    const pcace = pcaceField(spec.rankBy);
    const pcaceValues = byIndex.map((c) => (c[pcace] as number | undefined) ?? NaN);
    const present = IMPORTANCE_MEASURES.filter((k) => columns[k]);
    const curves = await deletionCurves(
      layerRemover(editor),
      t,
      [{ key: pcace, values: pcaceValues }, ...present.map((k) => ({ key: k as string, values: columns[k]! }))],
      { randomOrders, seed: spec.seed, onRun: tick, shouldStop: options.shouldStop },
    );
    const agreement = C >= 4 ? present.map((k) => ({ measure: k, ...rankAgreement(pcaceValues, columns[k]!, { seed: spec.seed }) })) : [];
    return {
      settings: {
        images: n,
        target_index: index,
        conductance_steps: steps,
        random_orders: randomOrders,
        derivative_step: 1e-2,
        removal: 'mean',
        pcace: pcace,
        engine: editor.method,
      },
      baseline: m.baseline,
      whole_layer_mean_drop: m.wholeLayerMeanDrop,
      ...(m.completenessGap ? { completeness_gap: Math.sqrt(m.completenessGap.reduce((a, g) => a + g * g, 0) / m.completenessGap.length) } : {}),
      curves,
      agreement,
    };
  } finally {
    await editor.release();
  }
}

/** Labels as output indices, when every sample's class name is an index of the output. */
export function classLabels(samples: DatasetSample[], outputWidth: number): Int32Array | null {
  const out = new Int32Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = Number(samples[i].label);
    if (samples[i].label === undefined || !Number.isInteger(v) || v < 0 || v >= outputWidth) return null;
    out[i] = v;
  }
  return out;
}

export type { RankingScore };
