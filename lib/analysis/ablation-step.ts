/**
 * Ablation importance (Bau et al. 2020) beside PCACE: how much the target score
 * and the accuracy drop when one channel is zeroed, for every channel of a layer.
 */
import { ablateLayerOrt } from '../models/ablation';
import type { ConvLayerInfo } from '../models/engine';
import type { DatasetSample } from '../datasets/types';
import type { AnalysisSpec } from './types';

export interface LayerAblation {
  scoreDrop: Float64Array;
  accuracyDrop: Float64Array | null;
}

/** Bytes the split ablation keeps per image (the layer's output); above the budget the whole graph reruns per channel. */
export async function ablateForLayer(
  spec: AnalysisSpec,
  layer: ConvLayerInfo,
  images: Float32Array,
  samples: DatasetSample[],
  outputWidth: number,
  memoryBudgetBytes: number,
): Promise<LayerAblation> {
  if (spec.model.format !== 'onnx') throw new Error('ablation is available for ONNX models');
  const n = samples.length;
  const targetClass = spec.target.kind === 'class' ? spec.target.index : spec.target.index ?? 0;
  const labels = classLabels(samples, outputWidth);
  const boundaryBytes = n * layer.channels * layer.mapHeight * layer.mapWidth * 4;
  const result = await ablateLayerOrt(spec.model.path, {
    layer: layer.name,
    images,
    count: n,
    labels: labels ?? undefined,
    targetClass,
    split: boundaryBytes <= memoryBudgetBytes,
  });
  const scoreDrop = new Float64Array(layer.channels);
  const accuracyDrop = labels && spec.target.kind === 'class' ? new Float64Array(layer.channels) : null;
  for (const c of result.channels) {
    scoreDrop[c.channel] = c.meanScoreDrop;
    if (accuracyDrop) accuracyDrop[c.channel] = c.accuracyDrop ?? 0;
  }
  return { scoreDrop, accuracyDrop };
}

/** Labels as output indices, when every sample's class name is an index of the output. */
function classLabels(samples: DatasetSample[], outputWidth: number): Int32Array | null {
  const out = new Int32Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = Number(samples[i].label);
    if (samples[i].label === undefined || !Number.isInteger(v) || v < 0 || v >= outputWidth) return null;
    out[i] = v;
  }
  return out;
}
