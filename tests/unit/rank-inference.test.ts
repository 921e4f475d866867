import { describe, expect, it } from 'vitest';
import { bootstrapChannelRefit, rankConfidenceSets } from '../../lib/pcace/rank-inference';
import { channelMaps } from '../../lib/pcace/layer';
import { Rng } from '../../lib/pcace/random';
import { syntheticLayer } from '../fixtures/synthetic-layer';

/** Channels = sample means of n normal draws with known, ordered true means; bootstrap over draws. */
function meansWithBootstrap(rng: Rng, truth: number[], n: number, B: number) {
  const data = truth.map((mu) => Float64Array.from({ length: n }, () => mu + rng.normal()));
  const est = data.map((d) => d.reduce((a, b) => a + b, 0) / n);
  const reps = truth.map(() => new Float64Array(B));
  for (let b = 0; b < B; b++) {
    const idx = Int32Array.from({ length: n }, () => rng.int(n)); // same draws for every channel
    data.forEach((d, j) => {
      let s = 0;
      for (const i of idx) s += d[i];
      reps[j][b] = s / n;
    });
  }
  return { est, reps };
}

describe('rank confidence sets (Mogstad, Romano, Shaikh & Wilhelm 2024)', () => {
  it('cover all true ranks at once at least 1 − α of the time, and one rank marginally', () => {
    const rng = new Rng(12);
    const truth = [0, 0.1, 0.2, 0.5, 0.8, 1.2];
    const trueRank = truth.map((_, j) => truth.length - j); // largest mean = rank 1
    let simultaneous = 0;
    let marginal = 0;
    const sims = 150;
    for (let s = 0; s < sims; s++) {
      const { est, reps } = meansWithBootstrap(rng, truth, 60, 200);
      const cs = rankConfidenceSets(est, reps, 0.1);
      if (cs.simultaneous.every((r, j) => r.lower <= trueRank[j] && trueRank[j] <= r.upper)) simultaneous++;
      const j = 2;
      if (cs.marginal[j].lower <= trueRank[j] && trueRank[j] <= cs.marginal[j].upper) marginal++;
    }
    expect(simultaneous / sims).toBeGreaterThanOrEqual(0.85);
    expect(marginal / sims).toBeGreaterThanOrEqual(0.85);
  });

  it('narrows to the exact ranks when channels are far apart, and marginal sets are never wider', () => {
    const rng = new Rng(3);
    const { est, reps } = meansWithBootstrap(rng, [0, 5, 10, 15], 50, 200);
    const cs = rankConfidenceSets(est, reps, 0.05);
    expect(cs.simultaneous.map((r) => [r.lower, r.upper])).toEqual([[4, 4], [3, 3], [2, 2], [1, 1]]);
    const close = meansWithBootstrap(rng, [0, 0.05, 0.1, 3], 50, 200);
    const c2 = rankConfidenceSets(close.est, close.reps, 0.05);
    c2.marginal.forEach((m, j) => {
      expect(m.lower).toBeGreaterThanOrEqual(c2.simultaneous[j].lower);
      expect(m.upper).toBeLessThanOrEqual(c2.simultaneous[j].upper);
    });
    expect(c2.simultaneous[3]).toEqual({ lower: 1, upper: 1 });
    expect(c2.simultaneous[0].upper - c2.simultaneous[0].lower).toBeGreaterThan(0);
  });
});

describe('refit bootstrap', () => {
  it('redoes PCA and the statistic per replicate, reproducibly, with the same images for every channel', () => {
    const L = syntheticLayer({ n: 80, channels: 2, height: 3, width: 3, seed: 2 });
    const maps = (c: number) => channelMaps(L.data, 80, 2, 9, c);
    const o = { statistic: 'multiple' as const, components: 3, flavour: 'acepack' as const, repeats: 1, replicates: 4, seed: 7 };
    const a = bootstrapChannelRefit(maps(1), 80, 9, L.y, o);
    expect(Array.from(bootstrapChannelRefit(maps(1), 80, 9, L.y, o))).toEqual(Array.from(a));
    expect(new Set(a).size).toBe(4);
    // Same maps at another channel index: same values (the draws do not depend on the channel).
    const cf = bootstrapChannelRefit(maps(1), 80, 9, L.y, { ...o, statistic: 'crossfit' });
    expect(cf.every((v) => v > -1 && v < 1)).toBe(true);
  });
});
