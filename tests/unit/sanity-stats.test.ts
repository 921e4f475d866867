/**
 * The sanity checks' statistics on cases whose truth is known: the AUC
 * interval's coverage when trained and random filters score alike (AUC = ½)
 * and when they differ by a known shift; baseline p-values of channels drawn
 * from the baseline's own distribution (uniform, never anti-conservative);
 * the Spearman interval's coverage at a known population ρ.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../lib/pcace/random';
import { aucWithCi, baselineTests, normalQuantile, randomFilterVerdict, spearmanWithCi } from '../../lib/pcace/sanity';
import { normalCdf } from '../../lib/pcace/pooled-null';

const draw = (rng: Rng, k: number, shift = 0) => Float64Array.from({ length: k }, () => rng.normal() + shift);

describe('normal quantile', () => {
  it('inverts Φ', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 8);
    for (const p of [1e-6, 0.01, 0.2, 0.5, 0.8, 0.999]) expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 6);
  });
});

describe('trained-vs-random AUC', () => {
  it('is P(X > Y) + ½ P(tie), with complete separation still given a width', () => {
    expect(aucWithCi([3, 2, 1, 0], [0, 0, -1]).auc).toBeCloseTo((3 + 3 + 3 + (2 * 0.5 + 1)) / 12, 12);
    const sep = aucWithCi(draw(new Rng(1), 16, 10), draw(new Rng(2), 16));
    expect(sep.auc).toBe(1);
    expect(sep.ci[0]).toBeGreaterThan(0.5);
    expect(sep.ci[0]).toBeLessThan(0.99);
    expect(sep.ci[1]).toBeLessThanOrEqual(1);
    expect(randomFilterVerdict(sep.ci)).toBe('above random filters');
  });

  // 2000 layers each: the coverage's Monte Carlo SE is 0.005, the bands ±3 SE around 0.95.
  for (const [m, r, shift] of [
    [32, 16, 0],
    [64, 16, 0],
    [128, 32, 0],
    [32, 16, 1],
  ] as const) {
    it(`covers the true AUC at the nominal 95 % (${m} trained vs ${r} random, shift ${shift})`, () => {
      const truth = normalCdf(shift / Math.SQRT2);
      const rng = new Rng(100 + m + r + shift);
      let covered = 0;
      let indistinguishable = 0;
      const reps = 2000;
      for (let k = 0; k < reps; k++) {
        const a = aucWithCi(draw(rng, m, shift), draw(rng, r));
        if (a.ci[0] <= truth && truth <= a.ci[1]) covered++;
        if (randomFilterVerdict(a.ci) === 'not distinguishable from random filters') indistinguishable++;
      }
      expect(covered / reps).toBeGreaterThan(0.935);
      expect(covered / reps).toBeLessThan(0.965);
      // Random vs random: the verdict says "not distinguishable" ≈ 95 % of the time.
      if (shift === 0) expect(indistinguishable / reps).toBeGreaterThan(0.935);
    });
  }
});

describe('baseline p-values', () => {
  it('are uniform for channels that are random filters themselves, and small for a channel far above them', () => {
    const rng = new Rng(7);
    const levels = [0.1, 0.25, 0.5];
    const hits = levels.map(() => 0);
    let total = 0;
    for (let k = 0; k < 1000; k++) {
      const t = baselineTests(draw(rng, 20), draw(rng, 16), { alpha: 0.05, pi0: false });
      for (const p of t.p) {
        levels.forEach((a, i) => (hits[i] += p <= a ? 1 : 0));
        total++;
      }
    }
    // ±4 SE of a binomial share over 20,000 channels (correlated within a layer through the shared baseline: the band is wide on purpose).
    levels.forEach((a, i) => {
      expect(hits[i] / total).toBeLessThan(a + 0.02);
      expect(hits[i] / total).toBeGreaterThan(a - 0.04);
    });
    const wired = baselineTests([8, 0, 0.1], draw(new Rng(3), 16), { alpha: 0.05, pi0: false });
    expect(wired.p[0]).toBeLessThan(1e-4);
    expect(wired.beats[0]).toBe(true);
    expect(wired.corrected[0]).toBeCloseTo(8 - wired.summary.mean, 12);
    expect(wired.beats[1]).toBe(false);
  });
});

describe('Spearman interval', () => {
  for (const [n, rho] of [
    [16, 0],
    [30, 0.6],
    [64, 0.8],
  ] as const) {
    it(`covers the population Spearman ρ at the nominal 95 % (n = ${n}, Pearson ρ = ${rho})`, () => {
      const truth = (6 / Math.PI) * Math.asin(rho / 2);
      const rng = new Rng(500 + n);
      let covered = 0;
      const reps = 2000;
      for (let k = 0; k < reps; k++) {
        const x = draw(rng, n);
        const y = x.map((v) => rho * v + Math.sqrt(1 - rho * rho) * rng.normal());
        const s = spearmanWithCi(x, y);
        if (s.ci[0] <= truth && truth <= s.ci[1]) covered++;
      }
      expect(covered / reps).toBeGreaterThan(0.935);
      expect(covered / reps).toBeLessThan(0.975);
    });
  }
  it('has no interval when one ranking is constant', () => {
    expect(spearmanWithCi([1, 2, 3, 4, 5], [0, 0, 0, 0, 0]).ci.every(Number.isNaN)).toBe(true);
  });
});
