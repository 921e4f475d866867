import { describe, expect, it } from 'vitest';
import { adaptiveCrossFit, crossFitSplit } from '../../lib/pcace/crossfit';
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
