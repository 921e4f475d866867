/**
 * Network-wide deletion curves on the constructed network
 * (tests/fixtures/constructed-network.ts), where the answer is known: the
 * class-0 logit is a function of conv1 channel 0 through conv2 channel 0
 * alone. Removing channels of both layers together in a measure's global
 * order must change every image's score completely as soon as one of the two
 * wired channels goes, and not at all before; PCACE's global order (by the
 * null-standardised effect) puts a wired channel first.
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { runAnalysis } from '../../lib/analysis/run-analysis';
import { globalOrders } from '../../lib/analysis/importance/network-curves';
import { orderOf } from '../../lib/analysis/importance/curves';
import { CONSTRUCTED_TRUTH, constructedSpec, writeConstructedFixture } from '../fixtures/constructed-network';
import { useConstructedAnalysis } from '../helpers/constructed-analysis';

const TOTAL = CONSTRUCTED_TRUTH.conv1.channels + CONSTRUCTED_TRUTH.conv2.channels;
// Flat indices: conv1's channels, then conv2's.
const WIRED = [CONSTRUCTED_TRUTH.conv1.wired[0], CONSTRUCTED_TRUTH.conv1.channels + CONSTRUCTED_TRUTH.conv2.wired[0]];

const analysis = useConstructedAnalysis('network-curves-', 120, 6, { ablation: true, conductanceSteps: 2, curveRandomOrders: 12, nullPermutations: 20, crossFitRepeats: 2, crossFitCap: 2 }, 180_000);

describe('network-wide deletion curves on the constructed network', () => {
  it('remove channels of every analysed layer, in PCACE’s global order and every measure’s, both directions', () => {
    const net = analysis.result().network_curves!;
    expect(net.layers).toEqual([
      { name: 'conv1', channels: 12 },
      { name: 'conv2', channels: 4 },
    ]);
    expect(net.left_out).toEqual([]);
    const keys = [...new Set(net.curves.map((c) => c.measure))];
    expect(keys).toEqual(['effect', 'mean_ablation_drop', 'mean_ablation_rms', 'ablation_drop', 'mean_abs_activation', 'filter_l1', 'taylor', 'conductance']);
    expect(net.curves).toHaveLength(2 * keys.length);
    expect(net.random!.orders).toBe(12);
    expect(net.settings).toMatchObject({ images: 120, random_orders: 12, removal: 'mean', pcace: 'effect' });
  });

  // Removing either wired channel makes the class-0 logit one constant for every image: conv2's
  // wired channel replaced by its mean map gives the mean logit (RMS change = the logit's sd);
  // conv1's gives ReLU of conv1's mean map through conv2, another constant (a larger RMS change).
  const ownRms = (flat: number) => {
    const [layer, channel] = flat < CONSTRUCTED_TRUTH.conv1.channels ? ['conv1', flat] : ['conv2', flat - CONSTRUCTED_TRUTH.conv1.channels];
    return analysis.result().layers.find((l) => l.name === layer)!.channels.find((c) => c.index === channel)!.mean_ablation_rms!;
  };

  it('top-first by the ablation change removes the two wired channels first; bottom-first changes nothing until they go', () => {
    const net = analysis.result().network_curves!;
    const top = net.curves.find((c) => c.measure === 'mean_ablation_rms' && c.direction === 'top')!;
    const bottom = net.curves.find((c) => c.measure === 'mean_ablation_rms' && c.direction === 'bottom')!;
    const end = top.rms[top.rms.length - 1];
    // With both removed the logit is its mean for every image: the end is conv2's wired channel's own change.
    expect(end).toBeCloseTo(ownRms(WIRED[1]), 4);
    expect(end).toBeGreaterThan(0.1);
    net.fractions.forEach((f, i) => {
      const removed = Math.round(f * TOTAL);
      if (removed === 1) expect(top.rms[i]).toBeCloseTo(ownRms(WIRED[0]), 4);
      if (removed >= 2) expect(top.rms[i]).toBeCloseTo(end, 5);
      // The two wired channels are the last two bottom-first.
      if (removed <= TOTAL - WIRED.length) expect(bottom.rms[i]).toBeLessThan(1e-5);
    });
    expect(top.auc_rms).toBeGreaterThan(net.random!.auc_rms.q50);
    expect(bottom.auc_rms).toBeLessThan(net.random!.auc_rms.q50);
  });

  it('PCACE’s global order by effect puts a wired channel first: its first removal changes the score as that channel alone does', () => {
    const { measures } = globalOrders(analysis.result().layers);
    const effect = measures.find((m) => m.key === 'effect')!;
    const first = orderOf(effect.values, 'top')[0];
    expect(WIRED).toContain(first);
    // The same order the results' global ranking reports.
    const g = analysis.result().global_ranking!.channels[0];
    expect(g.layer === 'conv1' ? g.channel : CONSTRUCTED_TRUTH.conv1.channels + g.channel).toBe(first);
    const pcace = analysis.result().network_curves!.curves.find((c) => c.measure === 'effect' && c.direction === 'top')!;
    expect(pcace.rms[1]).toBeCloseTo(ownRms(first), 4);
  });

  it('the global |activation| order removes a dead channel first (its bias −3 is the largest magnitude), which changes nothing', () => {
    const { measures } = globalOrders(analysis.result().layers);
    const act = orderOf(measures.find((m) => m.key === 'mean_abs_activation')!.values, 'top');
    expect(CONSTRUCTED_TRUTH.conv1.dead).toContain(act[0]);
    const curve = analysis.result().network_curves!.curves.find((c) => c.measure === 'mean_abs_activation' && c.direction === 'top')!;
    expect(curve.rms[1]).toBeLessThan(1e-5);
  });

  it('without a null there is no global PCACE order, and the curves say so', async () => {
    const files = writeConstructedFixture(path.join(analysis.dir(), 'no-null'), 60, 7);
    const r = await runAnalysis(constructedSpec(files, { images: 60, ablation: true, conductanceSteps: 0, curveRandomOrders: 0, nullPermutations: 0, crossFitRepeats: 1, crossFitCap: 1 }), { threads: 1, modelThreads: 1 });
    const net = r.network_curves!;
    expect(net.left_out.map((l) => l.measure)).toEqual(['effect']);
    expect(net.curves.some((c) => c.measure === 'effect')).toBe(false);
    expect(net.random).toBeNull();
  }, 120_000);
});
