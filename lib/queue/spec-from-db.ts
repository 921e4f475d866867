/** An analysis row (with its model version and dataset) → the AnalysisSpec lib/analysis runs. */
import type { AnalysisSpec, ModelRef, TargetSpec } from '../analysis/types';
import { withDefaults } from '../analysis/options';
import type { DatasetSpec, Preprocessing } from '../datasets/types';
import { resolveDatasetSpec, resolveModelFile } from '../storage/resolve';

export interface AnalysisRow {
  target: unknown;
  options: unknown;
  modelVersion: { storagePath: string; format: 'onnx' | 'tfjs'; preprocessing: unknown };
  dataset: { spec: unknown };
}

export function specFromRow(row: AnalysisRow, layer: string): AnalysisSpec {
  // Rows store every option since options were declared; older rows get today's defaults for the missing ones.
  const options = withDefaults(row.options as Partial<AnalysisSpec> | null);
  const model: ModelRef = {
    path: resolveModelFile(row.modelVersion.storagePath, row.modelVersion.format),
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
