/** The analysis cost estimate (lib/analysis/cost.ts): FLOPs from stored layers, scaling with each option, the breakdown. */
import { describe, expect, it } from 'vitest';
import { channelScoringSeconds, convFlops, COST, estimateAnalysisCost, inputChannels, type CostLayer, type CostModel, type CostOptions } from '../../lib/analysis/cost';
import { DEFAULT_ANALYSIS } from '../../lib/analysis/defaults';

const layer = (name: string, channels: number, map: number, k = 3, groups = 1): CostLayer => ({ name, channels, mapHeight: map, mapWidth: map, kernelSize: [k, k], groups });
/** The demo MNIST CNN as stored: conv1 32×26×26, conv2 64×24×24, 3×3 kernels, 1×28×28 input. */
const MNIST: CostModel = { layers: [layer('conv1', 32, 26), layer('conv2', 64, 24)], inputShape: [1, 28, 28], format: 'onnx' };
const { layers: _l, ...defaults } = DEFAULT_ANALYSIS;
const opts = (o: Partial<CostOptions> = {}): CostOptions => ({ ...(defaults as CostOptions), ...o });
const est = (o: Partial<CostOptions> = {}, layers: 'all' | string[] = 'all', model = MNIST) => estimateAnalysisCost({ model, layers, options: opts(o), threads: 2 });

describe('cost estimate', () => {
  it('counts conv FLOPs from kernel, map, channels and groups, with input channels from the previous layer', () => {
    expect(inputChannels(MNIST)).toEqual([1, 32]);
    expect(convFlops(MNIST.layers[1], 32)).toBe(2 * 64 * 24 * 24 * 32 * 9);
    // A depthwise conv reads one channel per output channel.
    expect(convFlops(layer('dw', 64, 10, 3, 64), 64)).toBe(2 * 64 * 100 * 9);
    // Recorded input channels win over the derivation.
    expect(inputChannels({ ...MNIST, layers: [MNIST.layers[0], { ...MNIST.layers[1], inChannels: 7 }] })).toEqual([1, 7]);
  });

  it('has one task per layer and a breakdown that sums to the total', () => {
    const e = est();
    expect(e.tasks).toBe(2);
    expect(e.channels).toBe(96);
    const sum = Object.values(e.breakdown).reduce((a, b) => a + b, 0);
    expect(e.cpuSeconds).toBeCloseTo(sum, 9);
    expect(e.wallSeconds).toBeLessThan(e.cpuSeconds);
    expect(e.summary).toMatch(/^≈ \d+ s CPU \(≈ \d+ s on 2 threads\): 2 layers, 96 channels × 300 images — .*PCA \d+ %/);
    expect(est({}, ['conv2']).tasks).toBe(1);
  });

  it('grows with each expensive option, about linearly', () => {
    const base = est();
    const perm = est({ permutations: 1000 });
    const perm2 = est({ permutations: 2000 });
    expect(perm.breakdown.permutations).toBeGreaterThan(0);
    expect(perm2.breakdown.permutations / perm.breakdown.permutations).toBeCloseTo(2, 6);
    expect(est({ bootstrap: 100 }).cpuSeconds).toBeGreaterThan(base.cpuSeconds);
    expect(est({ crossFitRepeats: 20 }).breakdown.crossfit).toBeCloseTo(10 * base.breakdown.crossfit, 6);
    expect(est({ images: 3000 }).cpuSeconds).toBeGreaterThan(5 * base.cpuSeconds);
    expect(est({ flavour: 'pcace-2021' }).breakdown.fit).toBeGreaterThan(base.breakdown.fit);
    expect(est({ ablation: true }).breakdown.ablation).toBeGreaterThan(0);
    expect(base.breakdown.ablation).toBe(0);
    // Two layers add the network-wide curves (whole-model runs) to the layers' own importance steps.
    const both = est({ ablation: true }).breakdown.ablation;
    const alone = est({ ablation: true }, ['conv1']).breakdown.ablation + est({ ablation: true }, ['conv2']).breakdown.ablation;
    expect(both).toBeGreaterThan(alone);
    expect(est({ stabilityComponents: [3, 10] }).breakdown.stability).toBeGreaterThan(0);
    // The verdicts' null: B pooled draws per layer, or B per channel on request.
    expect(est({ nullPermutations: 0 }).breakdown.null).toBe(0);
    const pooled = est({ nullPermutations: 100 }).breakdown.null;
    expect(pooled).toBeGreaterThan(0);
    expect(est({ nullPermutations: 100, perChannelNull: true }).breakdown.null / pooled).toBeCloseTo(48, 6);
    // A retest repeats the uncalibrated analysis on a second sample (forward, PCA, fit, cross-fit; no setup, null or bootstrap).
    expect(base.breakdown.retest).toBe(0);
    const b = est({ retest: true, nullPermutations: 0 }).breakdown;
    expect(b.retest).toBeCloseTo(b.forward + b.pca + b.fit + b.crossfit, 6);
  });

  it('uses no more images than the dataset has', () => {
    const capped = estimateAnalysisCost({ model: MNIST, layers: 'all', options: opts({ images: 100_000 }), threads: 2, availableImages: 6000 });
    expect(capped.images).toBe(6000);
    expect(capped.cpuSeconds).toBeLessThan(est({ images: 100_000 }).cpuSeconds);
  });

  it('puts the analysis of the security finding at months of CPU, and the defaults at seconds', () => {
    const monster = estimateAnalysisCost({
      model: MNIST,
      layers: 'all',
      options: opts({ images: 100_000, permutations: 10_000, bootstrap: 10_000, crossFitRepeats: 100, components: 1000, ablation: true }),
      threads: 2,
      availableImages: 6131,
    });
    expect(monster.cpuHours).toBeGreaterThan(24 * 30);
    expect(est().cpuSeconds).toBeLessThan(60);
  });

  it('charges forward passes by FLOPs: a 224×224 VGG-like layer costs far more than an MNIST one', () => {
    const big: CostModel = { layers: [layer('features.0', 64, 224), layer('features.2', 64, 224)], inputShape: [3, 224, 224], format: 'onnx' };
    const e = estimateAnalysisCost({ model: big, layers: ['features.2'], options: opts(), threads: 2 });
    // 300 images × 2·64·224²·64·9 FLOPs ≈ 1.1 TFLOP for features.2 alone.
    expect(e.breakdown.forward).toBeGreaterThan(5);
    expect(e.breakdown.forward).toBeGreaterThan(100 * est({}, ['conv2']).breakdown.forward / 10);
  });

  it('prices the sanity checks as one trained pass plus both randomised models from the layer on', () => {
    // Eight equal convs: the first layer's randomised models run all of them again, the last layer's only itself.
    const deep: CostModel = { layers: Array.from({ length: 8 }, (_, i) => layer(`c${i}`, 64, 56)), inputShape: [64, 56, 56], format: 'onnx' };
    const run = (name: string, sanityChecks: boolean) => estimateAnalysisCost({ model: deep, layers: [name], options: opts({ sanityChecks }), threads: 2 }).breakdown;
    const pass = run('c0', false).forward;
    const convs = pass - 300 * (COST.perImagePass + 64 * 56 * 56 * COST.perInputValue);
    // Same shapes, so the same rescoring: the difference is seven convs of the first layer's suffix.
    expect(run('c0', true).sanity - run('c7', true).sanity).toBeCloseTo((7 / 8) * convs, 6);
    // The first layer: two setups, the whole net, then all eight convs and 16 random filters beside 64 again; rescoring 16 + 2 × 16 channels.
    const scoring = 48 * channelScoringSeconds(opts(), 300, 56 * 56);
    const forward = run('c0', true).sanity - scoring;
    expect(forward).toBeCloseTo(2 * COST.taskSetup + convs * (1 + 8.25 / 8) + 300 * (3 * COST.perImagePass + 64 * 56 * 56 * COST.perInputValue), 6);
    // The last layer: little more than one pass, where the checks used to run the whole model twice.
    expect(run('c7', true).sanity - scoring).toBeLessThan(0.7 * 2 * (COST.taskSetup + pass));
    expect(run('c0', false).sanity).toBe(0);
  });
});
