/**
 * The seeded demo lab never shows an uncalibrated verdict: every demo
 * analysis keeps a null of its ranking statistic (the calibrated default), and
 * its options pass the validation the API and the worker run.
 */
import { describe, expect, it } from 'vitest';
import { demoAnalyses } from '../../scripts/seed-demo';
import { validateOptions, withDefaults } from '../../lib/analysis/options';

describe('demo analyses', () => {
  const all = demoAnalyses([3, 0, 1, 2, 4, 5, 6, 7, 8, 9]);

  it('are the 13 analyses of the README, each digit of the MNIST CNN once', () => {
    expect(all).toHaveLength(13);
    expect(new Set(all.map((a) => a.title)).size).toBe(13);
    expect(all.filter((a) => a.model === 'mnist-cnn' && Object.keys(a.options).length === 0).map((a) => a.digit).sort()).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9]);
  });

  it('include one analysis with everything on: sanity checks and importance measures (ablation, curves, agreement)', () => {
    expect(all.filter((a) => a.options.sanityChecks === true).map((a) => a.title)).toEqual(['MNIST CNN × digit 3, calibrated']);
    const full = withDefaults(all.find((a) => a.options.sanityChecks === true)!.options);
    expect(full).toMatchObject({ ablation: true, sanityChecks: true });
    expect(full.conductanceSteps).toBeGreaterThan(0);
    expect(full.curveRandomOrders).toBeGreaterThan(0);
  });

  it('all keep the null and BH verdicts at the defaults', () => {
    for (const a of all) {
      const o = withDefaults(a.options);
      expect(o.nullPermutations, a.title).not.toBe(0);
      expect(o.alpha, a.title).toBe(0.05);
      expect(validateOptions(o, { format: 'onnx', target: { kind: 'class' }, datasetKind: 'mnist' }), a.title).toEqual([]);
    }
  });
});
