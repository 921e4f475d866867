/** An analysis row (with its model version and dataset) → the AnalysisSpec lib/analysis runs. */
import type { AnalysisSpec, ModelRef, TargetSpec } from '../analysis/types';
import { DEFAULT_ANALYSIS } from '../analysis/defaults';
import type { DatasetSpec, Preprocessing } from '../datasets/types';
import { resolveDatasetSpec } from '../server/datasets';
import { storagePath } from '../server/storage';

export interface AnalysisRow {
  target: unknown;
  options: unknown;
  modelVersion: { storagePath: string; format: 'onnx' | 'tfjs'; preprocessing: unknown };
  dataset: { spec: unknown };
}

export function specFromRow(row: AnalysisRow, layer: string): AnalysisSpec {
  const options = { ...DEFAULT_ANALYSIS, ...(row.options as Partial<AnalysisSpec>) };
  const model: ModelRef = {
    path: modelFile(row.modelVersion.storagePath, row.modelVersion.format),
    format: row.modelVersion.format,
    preprocessing: (row.modelVersion.preprocessing as Preprocessing | null) ?? undefined,
  };
  return {
    ...options,
    layers: [layer],
    model,
    dataset: resolveDatasetSpec(row.dataset.spec as DatasetSpec),
    target: row.target as TargetSpec,
  };
}

function modelFile(rel: string, format: 'onnx' | 'tfjs'): string {
  const full = storagePath(rel);
  return format === 'tfjs' && !full.endsWith('.json') ? `${full}/model.json` : full;
}
