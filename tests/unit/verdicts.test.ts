import { describe, expect, it } from 'vitest';
import { networkQValues, verdictRule, verdictsFor } from '../../lib/pcace/verdicts';
import { benjaminiHochberg } from '../../lib/pcace/multiple-testing';
import { drawsForChannel, ksAgainstNormal, nullPermutation, nullStandardisedEffect, predictiveUpperP, summariseNull } from '../../lib/pcace/pooled-null';
import { Rng } from '../../lib/pcace/random';
import { sortedCopy } from '../../lib/pcace/stats';

describe('verdicts', () => {
  it('flag q < α per layer and BH over the whole network', () => {
    const p = [0.0001, 0.004, 0.04, 0.2, 0.9];
    const v = verdictsFor(p, { alpha: 0.05, pi0: false });
    expect(Array.from(v.q)).toEqual(Array.from(benjaminiHochberg(p)));
    expect(v.beats).toEqual([true, true, false, false, false]);
    const [a, b] = networkQValues([p, [0.5, 0.01]], { alpha: 0.05, pi0: false });
    const all = benjaminiHochberg([...p, 0.5, 0.01]);
    expect(Array.from(a)).toEqual(Array.from(all.slice(0, 5)));
    expect(Array.from(b)).toEqual(Array.from(all.slice(5)));
  });

  it('describe their rule in a record and one line', () => {
    const r = verdictRule('crossfit', { kind: 'permutation', B: 2000, pooled: true, tail: 'empirical' }, { alpha: 0.05, pi0: false }, 1);
    expect(r.text).toBe('q < 0.05 (BH per layer) against a pooled permutation null of the cross-fitted score, B = 2000');
    expect(r.correction).toBe('BH');
    const s = verdictRule('pc1', { kind: 'permutation', B: 16, pooled: false, tail: 'empirical+normal-t' }, { alpha: 0.1, pi0: true }, 0.8);
    expect(s.text).toContain('per-channel permutation null of the first-component correlation (pc1), B = 16 (normal-fit tail beyond the largest draw)');
    expect(s.text).toContain('Storey π₀ = 0.80');
  });
});

describe('pooled null', () => {
  it('spreads draws round-robin, each exactly once, with permutations fixed by (seed, n, draw)', () => {
    const all = [0, 1, 2].flatMap((c) => drawsForChannel(c, 3, 10)).sort((a, b) => a - b);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(nullPermutation(50, 3, 7))).toEqual(Array.from(nullPermutation(50, 3, 7)));
    expect(Array.from(nullPermutation(50, 3, 7))).not.toEqual(Array.from(nullPermutation(50, 3, 8)));
  });

  // The fitted-tail p of a normal null is exact at any B: P(p ≤ a) = a.
  it('gives uniform p-values for a normal null at small B (t predictive)', () => {
    const rng = new Rng(4);
    const sims = 20000;
    let below05 = 0;
    let below01 = 0;
    for (let s = 0; s < sims; s++) {
      const draws = Float64Array.from({ length: 10 }, () => 0.1 + 0.05 * rng.normal());
      const p = predictiveUpperP(0.1 + 0.05 * rng.normal(), summariseNull(draws, true));
      if (p <= 0.05) below05++;
      if (p <= 0.01) below01++;
    }
    // Binomial SEs 0.0015 and 0.0007.
    expect(Math.abs(below05 / sims - 0.05)).toBeLessThan(0.005);
    expect(Math.abs(below01 / sims - 0.01)).toBeLessThan(0.0025);
  });

  it('puts the effect interval around the truth about 95 % of the time', () => {
    const rng = new Rng(5);
    let hit = 0;
    const sims = 2000;
    for (let s = 0; s < sims; s++) {
      const draws = Float64Array.from({ length: 20 }, () => 0.05 * rng.normal());
      const observed = 0.15 + 0.01 * rng.normal(); // true effect 3, observed with se 0.01
      const e = nullStandardisedEffect(observed, 0.01, summariseNull(draws, true));
      if (e.ci[0] <= 3 && 3 <= e.ci[1]) hit++;
    }
    expect(hit / sims).toBeGreaterThan(0.92);
    expect(hit / sims).toBeLessThan(0.98);
  });

  it('measures the distance of a null from normality', () => {
    const rng = new Rng(6);
    const normal = sortedCopy(Float64Array.from({ length: 2000 }, () => rng.normal()));
    expect(ksAgainstNormal(normal, 0, 1)).toBeLessThan(0.035);
    const skewed = sortedCopy(Float64Array.from({ length: 2000 }, () => rng.normal() ** 2));
    expect(ksAgainstNormal(skewed, 1, Math.SQRT2)).toBeGreaterThan(0.1);
  });
});
