import { describe, expect, it } from 'vitest';
import { bcaInterval, bivariateNormalSpearman, rankAgreement } from '../../lib/pcace/agreement';
import { normalCdf } from '../../lib/pcace/pooled-null';
import { normalQuantile } from '../../lib/pcace/sanity';
import { Rng } from '../../lib/pcace/random';
import { correlatedNormals } from '../helpers/random';

/** P(b in its top q | a in its top q) for a bivariate normal with correlation ρ, by a large simulation. */
function topQuantileAgreement(rho: number, q: number): number {
  const rng = new Rng(99);
  const z = normalQuantile(1 - q);
  let both = 0;
  let inA = 0;
  for (let i = 0; i < 2_000_000; i++) {
    const u = rng.normal();
    if (u <= z) continue;
    inA++;
    if (rho * u + Math.sqrt(1 - rho * rho) * rng.normal() > z) both++;
  }
  return both / inA;
}

describe('rank agreement intervals (calibration on channels of known correlation)', () => {
  // 300 simulated layers of 48 channels each; for a 95 % interval the coverage
  // must lie within 3 binomial SEs of 0.95 (±0.038).
  const reps = 300;
  const n = 48;
  for (const rho of [0, 0.5, 0.85]) {
    it(`Spearman's BCa interval covers the population ρ_s at ρ = ${rho}`, () => {
      const truth = bivariateNormalSpearman(rho);
      const rng = new Rng(1000 + Math.round(rho * 100));
      let covered = 0;
      for (let r = 0; r < reps; r++) {
        const { a, b } = correlatedNormals(n, rho, rng);
        const s = rankAgreement(a, b, { bootstrap: 300, seed: r + 1 }).spearman;
        if (s.lo <= truth && truth <= s.hi) covered++;
      }
      const coverage = covered / reps;
      expect(coverage).toBeGreaterThan(0.95 - 0.038);
      expect(coverage).toBeLessThan(0.95 + 0.038);
    });
  }

  it('the top-k interval covers the top-quantile agreement at ρ = 0.7', () => {
    // k = n/4: the quantity is P(b in its top quarter | a in its top quarter).
    const truth = topQuantileAgreement(0.7, 0.25);
    const rng = new Rng(7);
    let covered = 0;
    const r2 = 200;
    for (let r = 0; r < r2; r++) {
      const { a, b } = correlatedNormals(64, 0.7, rng);
      const t = rankAgreement(a, b, { bootstrap: 300, k: 16, seed: r + 1 }).topK;
      if (t.lo <= truth && truth <= t.hi) covered++;
    }
    // Recorded, not assumed: the percentile interval of a top-k share is coarse (steps of 1/k).
    expect(covered / r2).toBeGreaterThan(0.95 - 3 * Math.sqrt((0.95 * 0.05) / r2));
  });

  it('is exact at the extremes and refuses too few channels', () => {
    const a = Float64Array.from({ length: 20 }, (_, i) => i);
    const same = rankAgreement(a, a, { bootstrap: 100 });
    expect(same.spearman.estimate).toBe(1);
    expect(same.spearman.lo).toBe(1);
    expect(same.topK.estimate).toBe(1);
    expect(same.n).toBe(20);
    const withNaN = rankAgreement([...a, NaN], [...a, 3], { bootstrap: 100 });
    expect(withNaN.n).toBe(20);
    expect(() => rankAgreement([1, 2, 3], [1, 2, 3])).toThrow(/at least 4/);
  });

  it('BCa reduces to the percentile interval for a symmetric, unbiased bootstrap', () => {
    const reps = Float64Array.from({ length: 2001 }, (_, i) => normalQuantile((i + 0.5) / 2001));
    const jack = Float64Array.from({ length: 10 }, (_, i) => (i % 2 ? 1 : -1));
    const [lo, hi] = bcaInterval(0, reps, jack, 0.025);
    expect(lo).toBeCloseTo(-1.96, 1);
    expect(hi).toBeCloseTo(1.96, 1);
  });
});
