/**
 * Acceptance of the importance measures and deletion curves on the
 * constructed network (tests/fixtures/constructed-network.ts), where the
 * answer is known: the class-0 logit is a function of each layer's wired
 * channel alone, so removing that channel must drop the score most and
 * removing any other (input-only or dead) must change nothing at all.
 */
import { describe, expect, it } from 'vitest';
import type { LayerResult } from '../../lib/analysis/types';
import { CONSTRUCTED_TRUTH } from '../fixtures/constructed-network';
import { useConstructedAnalysis } from '../helpers/constructed-analysis';

const analysis = useConstructedAnalysis('importance-', 200, 5, { ablation: true, conductanceSteps: 8, curveRandomOrders: 20, nullPermutations: 0, crossFitRepeats: 2, crossFitCap: 2 }, 120_000);

const layerOf = (name: 'conv1' | 'conv2'): LayerResult => analysis.result().layers.find((l) => l.name === name)!;
const column = (l: LayerResult, key: string) => [...l.channels].sort((a, b) => a.index - b.index).map((c) => (c as unknown as Record<string, number>)[key]);

describe.each(['conv1', 'conv2'] as const)('importance on the constructed network, %s', (name) => {
  const truth = CONSTRUCTED_TRUTH[name];
  const [wired] = truth.wired;
  const others = Array.from({ length: truth.channels }, (_, c) => c).filter((c) => c !== wired);

  it("the wired channel's removal changes the score most; no other channel's removal changes it at all", () => {
    const l = layerOf(name);
    for (const key of ['mean_ablation_rms', 'ablation_drop', 'taylor', 'conductance', 'mean_ablation_drop']) {
      const v = column(l, key);
      for (const c of others) expect(Math.abs(v[c]), `${key} of channel ${c}`).toBeLessThan(1e-5);
      if (key !== 'mean_ablation_drop') expect(v[wired], key).toBeGreaterThan(0.1);
    }
    // The mean score: conv1's wired channel reaches the logit through a ReLU,
    // so its mean map lowers the mean score (Jensen); conv2's is already ≥ 0
    // and enters the logit linearly, so mean-ablation leaves the *mean* score
    // exactly where it was — the reason the RMS change exists.
    const meanDrop = column(l, 'mean_ablation_drop')[wired];
    if (name === 'conv1') expect(meanDrop).toBeGreaterThan(0.1);
    else expect(Math.abs(meanDrop)).toBeLessThan(1e-5);
  });

  it('per image, the conductances sum to the whole-layer mean-ablation change (completeness)', () => {
    const imp = layerOf(name).importance!;
    expect(imp.completeness_gap).toBeDefined();
    // Finite steps (8, midpoint rule) across ReLU kinks leave a gap of order 1/steps.
    expect(imp.completeness_gap!).toBeLessThan(0.1 * Math.max(...column(layerOf(name), 'mean_ablation_rms')));
  });

  it('activation and filter norm are blind to what the construction wires: dead channels are not last', () => {
    const l = layerOf(name);
    const act = column(l, 'mean_abs_activation');
    const l1 = column(l, 'filter_l1');
    // A dead constant channel's |activation| is its negative bias: non-zero, though removing it changes nothing.
    for (const c of truth.constant) {
      expect(act[c]).toBeGreaterThan(0.2);
      expect(l1[c]).toBe(0);
    }
  });

  it('deletion curves: top-first by ablation changes the score at once, bottom-first not until the wired channel goes; dead and input-only removals change nothing', () => {
    const imp = layerOf(name).importance!;
    const { fractions, curves, random } = imp.curves;
    const top = curves.find((c) => c.measure === 'mean_ablation_rms' && c.direction === 'top')!;
    const bottom = curves.find((c) => c.measure === 'mean_ablation_rms' && c.direction === 'bottom')!;
    const end = top.rms[top.rms.length - 1];
    expect(end).toBeGreaterThan(0.1);
    fractions.forEach((f, i) => {
      // The wired channel is the first removed top-first: from the first fraction that removes anything, the change is complete.
      if (Math.round(f * truth.channels) >= 1) expect(top.rms[i]).toBeCloseTo(end, 5);
      // Bottom-first removes every other channel before it: no change until f = 1.
      if (Math.round(f * truth.channels) < truth.channels) expect(bottom.rms[i]).toBeLessThan(1e-5);
    });
    expect(top.auc_rms).toBeGreaterThan(bottom.auc_rms);
    // Random orders reach the wired channel somewhere in between.
    expect(random!.auc_rms.q50).toBeLessThan(top.auc_rms);
    expect(random!.auc_rms.q50).toBeGreaterThan(bottom.auc_rms);
    expect(random!.rms.q05.every((v, i) => v <= random!.rms.q95[i])).toBe(true);
    // PCACE ranks the wired channel first here, so its top-first curve is the ablation's.
    const pcace = curves.find((c) => c.measure === imp.settings.pcace && c.direction === 'top')!;
    expect(pcace.rms).toEqual(top.rms);
    expect(pcace.score).toEqual(top.score);
  });

  it('records agreement of PCACE with every measure, with intervals', () => {
    const imp = layerOf(name).importance!;
    expect(imp.agreement.map((a) => a.measure)).toEqual(['mean_ablation_drop', 'mean_ablation_rms', 'ablation_drop', 'mean_abs_activation', 'filter_l1', 'taylor', 'conductance']);
    for (const a of imp.agreement) {
      expect(a.spearman.lo).toBeLessThanOrEqual(a.spearman.estimate + 1e-12);
      expect(a.spearman.hi).toBeGreaterThanOrEqual(a.spearman.estimate - 1e-12);
      expect(a.n).toBe(truth.channels);
    }
    expect(imp.settings).toMatchObject({ images: 200, conductance_steps: 8, random_orders: 20, removal: 'mean' });
  });

  it("group PCACE of the layer's top channels: the set holding the wired channel carries what its best member does", () => {
    const groups = layerOf(name).importance!.groups!;
    expect(groups.map((g) => g.by)).toEqual(['score_crossfit', 'mean_ablation_rms']);
    const byAblation = groups[1];
    expect(byAblation.score.channels[0]).toBe(wired);
    // The logit is a function of the wired channel alone: the others add nothing out of sample.
    expect(byAblation.score.score_crossfit!).toBeGreaterThan(0.5);
    expect(Math.abs(byAblation.score.score_crossfit! - byAblation.best_single!)).toBeLessThan(0.1);
  });
});
