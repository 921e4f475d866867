/** An analysis row (with its model version and dataset) → the AnalysisSpec lib/analysis runs. */
import type { AnalysisSpec, ModelRef, TargetSpec } from '../analysis/types';
import { withDefaults } from '../analysis/options';
import type { DatasetSpec, Preprocessing } from '../datasets/types';
import { materialiseDatasetSpec, materialiseModelFile } from '../storage/resolve';

export interface AnalysisRow {
  target: unknown;
  options: unknown;
  modelVersion: { storagePath: string; format: 'onnx' | 'tfjs'; preprocessing: unknown };
  dataset: { spec: unknown };
}

/**
 * The spec of one layer task or a group of them (layers in the order given), with the model and dataset at local paths (from
 * whichever store holds them); release() once the task is done with them.
 */
export async function specFromRow(row: AnalysisRow, layer: string | string[]): Promise<{ spec: AnalysisSpec; release: () => Promise<void> }> {
  // Rows store every option since options were declared; older rows get today's defaults for the missing ones.
  const options = withDefaults(row.options as Partial<AnalysisSpec> | null);
  const modelFile = await materialiseModelFile(row.modelVersion.storagePath, row.modelVersion.format);
  let dataset;
  try {
    dataset = await materialiseDatasetSpec(row.dataset.spec as DatasetSpec);
  } catch (err) {
    await modelFile.release();
    throw err;
  }
  const model: ModelRef = {
    path: modelFile.value,
    format: row.modelVersion.format,
    preprocessing: (row.modelVersion.preprocessing as Preprocessing | null) ?? undefined,
  };
  const spec: AnalysisSpec = { ...options, layers: typeof layer === 'string' ? [layer] : layer, model, dataset: dataset.value, target: row.target as TargetSpec };
  return {
    spec,
    release: async () => {
      await Promise.all([modelFile.release(), dataset.release()]);
    },
  };
}
