import { describe, expect, it } from 'vitest';
import { adaptiveCrossFit, crossFitRepeat, crossFitSplit } from '../../lib/pcace/crossfit';
import { createKnotScratch, interpolateFold, piecewiseLinear, sortedOrder } from '../../lib/pcace/interpolate';
import { Rng } from '../../lib/pcace/random';
import { channelMaps } from '../../lib/pcace/layer';
import { channelPca } from '../../lib/pcace/pca';
import { mean, sampleSd } from '../../lib/pcace/stats';
import { runChannelTask } from '../../lib/analysis/channel-task';
import { syntheticLayer } from '../fixtures/synthetic-layer';

const layer = syntheticLayer({ n: 160, channels: 4, height: 5, width: 5, seed: 8 });
const pcs = (c: number) => channelPca(channelMaps(layer.data, layer.n, layer.channels, 25, c), layer.n, 25, 4).scores;

describe('paired cross-fit splits', () => {
  it('depend on the seed, n and the repeat only', () => {
    const [a0, a1] = crossFitSplit(160, 7, 3);
    const [b0] = crossFitSplit(160, 7, 3);
    expect(Array.from(a0)).toEqual(Array.from(b0));
    expect(a0.length + a1.length).toBe(160);
    expect(new Set([...a0, ...a1]).size).toBe(160);
    expect(Array.from(crossFitSplit(160, 8, 3)[0])).not.toEqual(Array.from(a0));
    expect(Array.from(crossFitSplit(160, 7, 4)[0])).not.toEqual(Array.from(a0));
  });

  it('keep copies of a bootstrap image in one fold', () => {
    const groups = Int32Array.from({ length: 40 }, (_, i) => i % 13);
    const [a, b] = crossFitSplit(40, 1, 0, groups);
    const inA = new Set(Array.from(a, (i) => groups[i]));
    for (const i of b) expect(inA.has(groups[i])).toBe(false);
  });
});

describe('adaptive cross-fitting', () => {
  it('keeps per-repeat values, reports their Monte Carlo SE and is reproducible', () => {
    const r = adaptiveCrossFit(pcs(3), layer.y, 'acepack', { minRepeats: 6, cap: 6, targetMcse: 0 }, 5);
    expect(r.repeats).toBe(6);
    expect(r.values.length).toBe(6);
    expect(r.score).toBeCloseTo(mean(r.values), 14);
    expect(r.mcse).toBeCloseTo(sampleSd(r.values) / Math.sqrt(6), 14);
    const again = adaptiveCrossFit(pcs(3), layer.y, 'acepack', { minRepeats: 6, cap: 6, targetMcse: 0 }, 5);
    expect(Array.from(again.values)).toEqual(Array.from(r.values));
  });

  it('adds repeats until the MCSE target or the cap, and never stops on fewer than 5 values', () => {
    const loose = adaptiveCrossFit(pcs(3), layer.y, 'acepack', { minRepeats: 2, cap: 30, targetMcse: 1 }, 5);
    expect(loose.repeats).toBe(5);
    const strict = adaptiveCrossFit(pcs(3), layer.y, 'acepack', { minRepeats: 2, cap: 9, targetMcse: 1e-9 }, 5);
    expect(strict.repeats).toBe(9);
    const mid = adaptiveCrossFit(pcs(3), layer.y, 'acepack', { minRepeats: 2, cap: 40, targetMcse: 0.01 }, 5);
    expect(mid.mcse < 0.01 || mid.repeats === 40).toBe(true);
    // The same first repeats whatever the rule: the splits are the repeat's, not the rule's.
    expect(strict.values[0]).toBe(loose.values[0]);
  });

  it('uses the same splits for every channel of an analysis (paired)', async () => {
    // Two copies of one channel at different indices must score identically.
    const n = layer.n;
    const data = new Float32Array(n * 2 * 25);
    for (let i = 0; i < n; i++) {
      const src = layer.data.subarray((i * 4 + 3) * 25, (i * 4 + 4) * 25);
      data.set(src, (i * 2) * 25);
      data.set(src, (i * 2 + 1) * 25);
    }
    const t = { data, n, channels: 2, positions: 25 };
    const opts = { components: 4, flavour: 'acepack' as const, rankBy: 'crossfit' as const, crossFitRepeats: 2, crossFitCap: 6, bootstrap: 0, stabilityComponents: [], seed: 3 };
    const a = (await runChannelTask(t, 0, layer.y, opts)).score;
    const b = (await runChannelTask(t, 1, layer.y, opts)).score;
    expect(b.score_crossfit).toBe(a.score_crossfit);
    expect(Array.from(b.crossfit_values!)).toEqual(Array.from(a.crossfit_values!));
  });
});

describe('cross-fitting from one sort of the sample', () => {
  it('interpolates each fold to the very bits of piecewiseLinear, ties and −0 included', () => {
    const rng = new Rng(21);
    for (let t = 0; t < 120; t++) {
      const n = 8 + Math.floor(rng.next() * 150);
      // Every third case on a coarse grid: tie groups span both folds.
      const x = Float64Array.from({ length: n }, () => (t % 3 === 0 ? Math.round(rng.next() * 8) / 4 - 1 : rng.next() * 4 - 2));
      if (t % 4 === 0) x[Math.floor(rng.next() * n)] = -0;
      const folds = crossFitSplit(n, t, 0);
      const fold = new Uint8Array(n);
      const pos = new Int32Array(n);
      folds.forEach((idx, f) => idx.forEach((i, k) => ((fold[i] = f), (pos[i] = k))));
      for (const trainFold of [0, 1]) {
        const train = folds[trainFold];
        const test = folds[1 - trainFold];
        const f = Float64Array.from(train, () => rng.next() * 2 - 1);
        const phi = piecewiseLinear(Float64Array.from(train, (i) => x[i]), f);
        const out = Float64Array.from(test, () => rng.next());
        const expected = Float64Array.from(test, (i, k) => out[k] + phi(x[i]));
        interpolateFold(x, sortedOrder(x), fold, pos, trainFold, f, out, true, createKnotScratch(n));
        for (let k = 0; k < test.length; k++) expect(Object.is(out[k], expected[k])).toBe(true);
      }
    }
  });

  it('gives every repeat the very value of crossFitRepeat, on tied and untied data', () => {
    const rng = new Rng(5);
    const coarse = pcs(2).map((col) => col.map((v) => Math.round(v * 2) / 2));
    const yTied = layer.y.map((v) => Math.round(v * 4) / 4);
    const groups = Int32Array.from({ length: layer.n }, () => Math.floor(rng.next() * 100));
    const cases: [Float64Array[], Float64Array, Int32Array | undefined][] = [
      [pcs(1), layer.y, undefined],
      [coarse, yTied, undefined],
      [pcs(3), yTied, groups],
    ];
    for (const [x, y, g] of cases) {
      const r = adaptiveCrossFit(x, y, 'acepack', { minRepeats: 4, cap: 4, targetMcse: 0 }, 9, g);
      for (let k = 0; k < 4; k++) expect(Object.is(r.values[k], crossFitRepeat(x, y, 'acepack', crossFitSplit(y.length, 9, k, g)))).toBe(true);
    }
  });
});
