/**
 * Forward passes that spill (lib/analysis/plan.ts, planPasses): once a pass's
 * memory is full, the layers after it are written to spill files in the same
 * pass instead of captured by another one. The capture is the same graph,
 * batches and images either way, so every result is identical: every conv
 * layer of a torchvision ResNet-18 (1/16 width), and the layer groups the
 * ablation computes from a whole layer's maps, which a whole spilled layer
 * loaded back must give too.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ANALYSIS } from '../../lib/analysis/defaults';
import { runAnalysis } from '../../lib/analysis/run-analysis';
import type { AnalysisResult, AnalysisSpec } from '../../lib/analysis/types';

const ROOT = path.resolve(import.meta.dirname, '../..');
const spec: AnalysisSpec = {
  ...DEFAULT_ANALYSIS,
  images: 30,
  crossFitRepeats: 0,
  nullPermutations: 0,
  rankBy: 'multiple',
  seed: 5,
  model: { path: path.join(ROOT, 'tests/fixtures/resnet18-w4/model.onnx'), format: 'onnx' },
  dataset: { kind: 'mnist', split: 'test', digit: 1 },
  target: { kind: 'class', index: 1 },
};
/** conv1's maps over 30 images are 123 kB, each layer1 conv's 31 kB: a few layers per pass. */
const BUDGET = 160_000;

/** Everything but the times. */
const results = (r: AnalysisResult) => JSON.parse(JSON.stringify({ layers: r.layers, curves: r.network_curves }, (k, v) => (k === 'seconds' ? undefined : v)));

describe('passes that spill to spare a forward pass', () => {
  it('give every conv layer the same results as one pass per budget-full of layers', { timeout: 300_000 }, async () => {
    const apart = await runAnalysis(spec, { memoryBudgetBytes: BUDGET, spillBytes: 0, threads: 1 });
    const together = await runAnalysis(spec, { memoryBudgetBytes: BUDGET, threads: 1 });
    expect(apart.timings.forward_passes).toBeGreaterThan(2);
    expect(together.timings.forward_passes).toBe(1);
    expect(together.layers).toHaveLength(20);
    expect(results(together)).toEqual(results(apart));
  });

  it('give the ablation and its layer groups the same results, whole layers spilled and loaded back', { timeout: 300_000 }, async () => {
    const s: AnalysisSpec = { ...spec, layers: ['conv1', 'layer1.0.conv1', 'layer1.0.conv2'], ablation: true, conductanceSteps: 0, curveRandomOrders: 0 };
    const apart = await runAnalysis(s, { memoryBudgetBytes: BUDGET, spillBytes: 0, threads: 1, modelThreads: 1 });
    const together = await runAnalysis(s, { memoryBudgetBytes: BUDGET, threads: 1, modelThreads: 1 });
    expect(apart.timings.forward_passes).toBe(2);
    expect(together.timings.forward_passes).toBe(1);
    expect(together.layers.every((l) => l.importance?.groups)).toBe(true);
    expect(results(together)).toEqual(results(apart));
    expect(together.network_curves).toBeDefined();
  });
});
