import { describe, expect, it } from 'vitest';
import { scoreChannel } from '../../lib/pcace/score';
import { channelMaps } from '../../lib/pcace/layer';
import { Rng } from '../../lib/pcace/random';
import { syntheticLayer } from '../fixtures/synthetic-layer';

const layer = syntheticLayer({ n: 200, channels: 8, height: 6, width: 6, seed: 42 });
const positions = 36;
const maps = (c: number) => channelMaps(layer.data, layer.n, layer.channels, positions, c);
// strength: channel 0 and 4 are pure nuisance; 3 and 7 carry the most signal.

describe('scoreChannel', () => {
  it('computes both published statistics and keeps them in [0, 1]', () => {
    for (const flavour of ['acepack', 'pcace-2021'] as const) {
      const s = scoreChannel(maps(3), layer.n, positions, layer.y, { components: 5, flavour });
      expect(s.score_pc1).toBeGreaterThanOrEqual(0);
      expect(s.score_multiple).toBeLessThanOrEqual(1);
      expect(s.score_multiple).toBeGreaterThan(0.6);
      expect(s.components).toBe(5);
      expect(s.flags).toEqual([]);
    }
  });

  it('separates signal from noise with the permutation null', () => {
    const opts = { components: 5, flavour: 'acepack' as const, permutations: 39, seed: 3 };
    const signal = scoreChannel(maps(3), layer.n, positions, layer.y, opts);
    const noise = scoreChannel(maps(0), layer.n, positions, layer.y, opts);
    expect(signal.permutation!.p_multiple).toBeCloseTo(1 / 40, 12);
    expect(signal.permutation!.z_multiple).toBeGreaterThan(5);
    expect(noise.permutation!.p_multiple).toBeGreaterThan(0.05);
    expect(noise.permutation!.z_multiple).toBeLessThan(2);
    // The raw multiple correlation of noise is far from 0: that is why it needs a null.
    expect(noise.score_multiple).toBeGreaterThan(0.2);
    expect(noise.permutation!.null_mean_multiple).toBeGreaterThan(0.2);
  });

  it('gives noise channels a cross-fitted score near 0 and signal channels a high one', () => {
    const opts = { components: 5, flavour: 'acepack' as const, crossFitRepeats: 2, seed: 5 };
    const signal = scoreChannel(maps(3), layer.n, positions, layer.y, opts);
    const noise = scoreChannel(maps(4), layer.n, positions, layer.y, opts);
    expect(signal.score_crossfit!).toBeGreaterThan(0.7);
    expect(Math.abs(noise.score_crossfit!)).toBeLessThan(0.25);
  });

  it('does not depend on the order of the images', () => {
    const rng = new Rng(9);
    const perm = rng.permutation(layer.n);
    const m = maps(3);
    const pm = new Float64Array(m.length);
    const py = new Float64Array(layer.n);
    perm.forEach((src, i) => {
      pm.set(m.subarray(src * positions, (src + 1) * positions), i * positions);
      py[i] = layer.y[src];
    });
    for (const flavour of ['acepack', 'pcace-2021'] as const) {
      const a = scoreChannel(m, layer.n, positions, layer.y, { components: 4, flavour });
      const b = scoreChannel(pm, layer.n, positions, py, { components: 4, flavour });
      expect(b.score_pc1).toBeCloseTo(a.score_pc1, 9);
      expect(b.score_multiple).toBeCloseTo(a.score_multiple, 9);
    }
  });

  it('does not depend on the scale or offset of the class score', () => {
    const y2 = layer.y.map((v) => 3.5 * v - 12);
    for (const flavour of ['acepack', 'pcace-2021'] as const) {
      const a = scoreChannel(maps(2), layer.n, positions, layer.y, { components: 4, flavour });
      const b = scoreChannel(maps(2), layer.n, positions, y2, { components: 4, flavour });
      expect(b.score_pc1).toBeCloseTo(a.score_pc1, 9);
      expect(b.score_multiple).toBeCloseTo(a.score_multiple, 9);
    }
  });

  it('scores a constant channel 0 with a flag instead of NaN', () => {
    const dead = new Float64Array(layer.n * positions).fill(0.7);
    const s = scoreChannel(dead, layer.n, positions, layer.y, { components: 5, flavour: 'acepack', permutations: 5, crossFitRepeats: 1 });
    expect(s.score_pc1).toBe(0);
    expect(s.score_multiple).toBe(0);
    expect(s.score_crossfit).toBe(0);
    expect(s.flags).toEqual(['constant']);
  });

  it('flags a channel whose maps have fewer components than asked', () => {
    // Rank-2 maps: every position is a mix of two image-level factors.
    const rng = new Rng(1);
    const a = Array.from({ length: layer.n }, () => rng.normal());
    const b = Array.from({ length: layer.n }, () => rng.normal());
    const low = new Float64Array(layer.n * positions);
    for (let i = 0; i < layer.n; i++) for (let j = 0; j < positions; j++) low[i * positions + j] = a[i] * Math.sin(j) + b[i] * Math.cos(j);
    const s = scoreChannel(low, layer.n, positions, layer.y, { components: 5, flavour: 'acepack' });
    expect(s.components).toBe(2);
    expect(s.flags).toContain('rank_deficient');
    expect(Number.isFinite(s.score_multiple)).toBe(true);
  });

  it('rejects non-finite inputs and a constant response with clear messages', () => {
    const bad = Float64Array.from(maps(1));
    bad[5] = Infinity;
    expect(() => scoreChannel(bad, layer.n, positions, layer.y, { components: 3, flavour: 'acepack' })).toThrow(/non-finite value \(Infinity\) at index 5/);
    const yBad = Float64Array.from(layer.y);
    yBad[2] = NaN;
    expect(() => scoreChannel(maps(1), layer.n, positions, yBad, { components: 3, flavour: 'acepack' })).toThrow(/response.*non-finite value \(NaN\) at index 2/);
    expect(() => scoreChannel(maps(1), layer.n, positions, new Float64Array(layer.n).fill(2), { components: 3, flavour: 'acepack' })).toThrow(/constant/);
    expect(() => scoreChannel(maps(1), layer.n, positions, layer.y.subarray(1), { components: 3, flavour: 'acepack' })).toThrow(/199 values for 200 images/);
  });
});
