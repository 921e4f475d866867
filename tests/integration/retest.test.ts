/**
 * Test–retest through the real path: the second sample is disjoint from the
 * analysis' own and as large, the model runs on it, every channel is ranked
 * again, and each layer stores the Spearman between the two rankings with its
 * interval; a dataset too small for two samples says so instead.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../lib/datasets/index';
import { openRetestSample } from '../../lib/analysis/retest';
import { runAnalysis } from '../../lib/analysis/run-analysis';
import { withDefaults } from '../../lib/analysis/options';
import type { AnalysisSpec } from '../../lib/analysis/types';
import { spearman } from '../../lib/pcace/ranking';
import { defaultPreprocessing } from '../../lib/datasets/index';

const ROOT = path.resolve(import.meta.dirname, '../..');
const preprocessing = defaultPreprocessing([1, 28, 28]);

describe('the retest sample', () => {
  it('is n further images of the same seeded draw, none of them the analysis’ own', async () => {
    const spec = { dataset: { kind: 'mnist', split: 'test', digit: 3 }, seed: 4 } as AnalysisSpec;
    const main = await openDataset(spec.dataset, { n: 40, seed: 4 });
    const retest = await openRetestSample(spec, { preprocessing }, main.samples);
    if ('reason' in retest) throw new Error(retest.reason);
    try {
      expect(retest.samples).toHaveLength(40);
      const own = new Set(main.samples.map((s) => s.id));
      expect(retest.samples.some((s) => own.has(s.id))).toBe(false);
      expect(retest.samples.every((s) => s.label === '3')).toBe(true);
      // The images are the ones named, in order: a batch across non-adjacent positions equals single loads.
      const batch = await retest.load(3, 5);
      const single = await retest.load(5, 1);
      expect(Array.from(batch.subarray(2 * 784, 3 * 784))).toEqual(Array.from(single));
    } finally {
      await retest.close();
      await main.close();
    }
  });

  it('is refused, with the reason, when the dataset has fewer than 2n images', async () => {
    // Digit 5 of the test split has 892 images: 500 + 500 do not fit.
    const spec = { dataset: { kind: 'mnist', split: 'test', digit: 5 }, seed: 1 } as AnalysisSpec;
    const main = await openDataset(spec.dataset, { n: 500, seed: 1 });
    const retest = await openRetestSample(spec, { preprocessing }, main.samples);
    await main.close();
    expect('reason' in retest && retest.reason).toBe(
      'test–retest skipped: it needs a second sample of 500 images disjoint from the first, and the dataset gave 392 more (it needs ≥ 1000 usable images)',
    );
  });
});

describe('runAnalysis with a retest', () => {
  it('ranks every channel on both samples and stores the layer reliability with its interval', async () => {
    const spec: AnalysisSpec = {
      model: { path: path.join(ROOT, 'models/demo/mnist-cnn.onnx'), format: 'onnx' },
      dataset: { kind: 'mnist', split: 'test', digit: 3 },
      target: { kind: 'class', index: 3 },
      layers: ['conv2'],
      ...withDefaults({ images: 60, components: 3, crossFitCap: 3, nullPermutations: 0, retest: true }),
    };
    const result = await runAnalysis(spec, { threads: 2 });
    const [layer] = result.layers;
    const r = layer.reliability!;
    expect(layer.channels.every((c) => c.score_retest !== undefined)).toBe(true);
    // Channels scored on both samples (a channel dead on either has no cross-fitted score there).
    const both = layer.channels.filter((c) => Number.isFinite(c.score_crossfit) && Number.isFinite(c.score_retest));
    expect(both.length).toBeGreaterThan(56);
    expect(r).toMatchObject({ channels: both.length, images: 60, statistic: 'crossfit' });
    const first = both.map((c) => c.score_crossfit!);
    const second = both.map((c) => c.score_retest!);
    // Another sample: other scores; the stored reliability is their rankings' agreement.
    expect(second).not.toEqual(first);
    expect(r.spearman).toBeCloseTo(spearman(first, second).rho, 12);
    expect(r.ci[0]).toBeLessThan(r.spearman);
    expect(r.ci[1]).toBeGreaterThan(r.spearman);
    expect(result.spec.retest).toBe(true);
  }, 600_000);
});
