/**
 * The response PCACE explains, over the analysis' images: the model's output
 * at the target index (a class score, or a regression output), read from the
 * forward passes' outputs, or the regression targets the dataset carries.
 * The ranking (run-analysis.ts) and the group artifacts (artifacts/group.ts)
 * read it the same way, so a group is scored against what its channels were.
 */
import type { OpenedDataset } from '../datasets/types';
import { PcaceInputError } from '../pcace/validate';
import type { AnalysisSpec } from './types';

/** The response is the dataset's regression targets, not a model output. */
export function targetsFromDataset(spec: Pick<AnalysisSpec, 'target'>): boolean {
  return spec.target.kind === 'regression' && spec.target.source === 'dataset';
}

/** Writes the target output of `count` images (model outputs `out`, one row per image) into y[offset…]. */
export function writeTargets(y: Float64Array, out: Float32Array, offset: number, count: number, spec: Pick<AnalysisSpec, 'target'>): void {
  const width = out.length / count;
  const index = spec.target.kind === 'class' ? spec.target.index : spec.target.index ?? 0;
  if (index >= width) {
    throw new PcaceInputError(`target index ${index} is outside the model output (${width} values per image)`);
  }
  for (let b = 0; b < count; b++) y[offset + b] = out[b * width + index];
}

export function datasetTargets(dataset: Pick<OpenedDataset, 'samples'>): Float64Array {
  return Float64Array.from(dataset.samples, (s, i) => {
    if (s.target === undefined) throw new PcaceInputError(`sample ${i} (${s.id}) has no regression target`);
    return s.target;
  });
}
