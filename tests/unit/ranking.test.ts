import { describe, expect, it } from 'vitest';
import { ordinalRanks, rankDescending, spearman, topKOverlap } from '../../lib/pcace/ranking';
import { incompleteBeta, studentTTwoSided } from '../../lib/pcace/special';
import { piecewiseLinear } from '../../lib/pcace/interpolate';
import { Rng } from '../../lib/pcace/random';

describe('rankDescending', () => {
  it('ranks 1 for the best, averages ties, puts NaN last', () => {
    expect(Array.from(rankDescending([0.2, 0.9, 0.5, 0.5, NaN]))).toEqual([4, 1, 2.5, 2.5, 5]);
    expect(Array.from(ordinalRanks([0.2, 0.9, 0.5, 0.5, NaN]))).toEqual([4, 1, 2, 3, 5]);
  });
});

describe('Student t and incomplete beta', () => {
  it('matches known values', () => {
    // R: 2*pt(-2.0, 10) = 0.07338803; 2*pt(-1, 1) = 0.5; pbeta(0.3, 2, 5) = 0.579825
    expect(studentTTwoSided(2, 10)).toBeCloseTo(0.0733880347707, 9);
    expect(studentTTwoSided(1, 1)).toBeCloseTo(0.5, 12);
    expect(incompleteBeta(0.3, 2, 5)).toBeCloseTo(0.579825, 6);
    expect(studentTTwoSided(0, 30)).toBeCloseTo(1, 12);
  });
});

describe('spearman', () => {
  it('is 1 for monotone relations and −1 for reversed ones', () => {
    const a = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    expect(spearman(a, a.map((v) => Math.exp(v))).rho).toBeCloseTo(1, 12);
    expect(spearman(a, a.map((v) => -v)).rho).toBeCloseTo(-1, 12);
  });

  it('uses the exact permutation distribution for small n', () => {
    // n = 5, perfect agreement: only the identity and the reversal reach |ρ| = 1 → p = 2/120.
    const r = spearman([5, 4, 3, 2, 1], [50, 40, 30, 20, 10]);
    expect(r.method).toBe('exact');
    expect(r.pValue).toBeCloseTo(2 / 120, 12);
  });

  it("uses Zar's t approximation for larger n", () => {
    // ρ = 0.47 with n = 32: t = 0.47·√(30/(1−0.2209)) = 2.9166…; R: 2*pt(-2.9166, 30) ≈ 0.006645
    const n = 32;
    const a = Array.from({ length: n }, (_, i) => i);
    // Build b with a chosen ρ by swapping pairs, then compare with the formula directly.
    const b = a.slice();
    for (let i = 0; i < n - 6; i += 3) [b[i], b[i + 5]] = [b[i + 5], b[i]];
    const res = spearman(a, b);
    const t = res.rho * Math.sqrt((n - 2) / (1 - res.rho ** 2));
    expect(res.method).toBe('t');
    expect(res.pValue).toBeCloseTo(studentTTwoSided(t, n - 2), 12);
    expect(studentTTwoSided(2.9166, 30)).toBeCloseTo(0.006645, 4);
  });

  it('rejects mismatched or too short inputs', () => {
    expect(() => spearman([1, 2, 3], [1, 2])).toThrow(/different lengths/);
    expect(() => spearman([1, 2], [1, 2])).toThrow(/at least 3/);
  });
});

describe('topKOverlap', () => {
  it('counts shared top channels and its hypergeometric tail', () => {
    const a = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
    const b = [9, 10, 1, 2, 3, 4, 5, 6, 7, 8];
    const o = topKOverlap(a, b, 3);
    expect(o.shared).toBe(2); // top-3 of a: 0,1,2; of b: 1,0,9
    expect(o.expected).toBeCloseTo(0.9, 12);
    // P(X ≥ 2), X ~ Hyper(N=10, K=3, n=3) = (C(3,2)C(7,1) + C(3,3))/C(10,3) = 22/120
    expect(o.pValue).toBeCloseTo(22 / 120, 12);
    expect(() => topKOverlap(a, b, 11)).toThrow(/k must be/);
  });
});

describe('piecewiseLinear', () => {
  it('interpolates, averages tied x and clamps outside the range', () => {
    const f = piecewiseLinear([0, 2, 1, 1], [0, 4, 1, 3]);
    expect(f(1)).toBe(2);
    expect(f(1.5)).toBe(3);
    expect(f(-5)).toBe(0);
    expect(f(9)).toBe(4);
  });

  it('gives the very bits of knots built by a stable index sort, ties summed in index order', () => {
    // The straightforward construction the fast one replaces: cross-fitted scores must not move.
    const reference = (x: Float64Array, f: Float64Array) => {
      const order = Array.from(x, (_, i) => i).sort((a, b) => x[a] - x[b]);
      const xs: number[] = [];
      const fs: number[] = [];
      for (let i = 0; i < order.length; ) {
        let j = i;
        let s = 0;
        while (j < order.length && x[order[j]] === x[order[i]]) s += f[order[j++]];
        xs.push(x[order[i]]);
        fs.push(s / (j - i));
        i = j;
      }
      return (v: number) => {
        if (v <= xs[0]) return fs[0];
        if (v >= xs[xs.length - 1]) return fs[fs.length - 1];
        let k = 0;
        while (xs[k + 1] <= v) k++;
        return fs[k] + ((v - xs[k]) / (xs[k + 1] - xs[k])) * (fs[k + 1] - fs[k]);
      };
    };
    const rng = new Rng(11);
    for (let t = 0; t < 200; t++) {
      const n = 3 + Math.floor(rng.next() * 200);
      // Every third case on a coarse grid: many ties, whose f sums depend on the order of addition.
      const x = Float64Array.from({ length: n }, () => (t % 3 === 0 ? Math.round(rng.next() * 8) / 4 : rng.next() * 4 - 2));
      if (t % 5 === 0) x[0] = -0;
      const f = Float64Array.from({ length: n }, () => rng.next() * 2 - 1);
      const fast = piecewiseLinear(x, f);
      const slow = reference(x, f);
      for (let q = 0; q < n + 50; q++) {
        const v = q < n ? x[q] : rng.next() * 6 - 3;
        expect(Object.is(fast(v), slow(v))).toBe(true);
      }
    }
  });
});
