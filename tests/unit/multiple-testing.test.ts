import { describe, expect, it } from 'vitest';
import { benjaminiHochberg, permutationsForFdr, storeyPi0 } from '../../lib/pcace/multiple-testing';
import { Rng } from '../../lib/pcace/random';

describe('Benjamini–Hochberg', () => {
  it('matches scipy.stats.false_discovery_control(method="bh") (scipy 1.17.1)', () => {
    const p = [0.01, 0.04, 0.03, 0.005, 0.5, 0.2, 0.04, 0.9, 0.0001, 0.06];
    const expected = [
      0.03333333333333333, 0.06666666666666667, 0.06666666666666667, 0.025, 0.5555555555555556, 0.25,
      0.06666666666666667, 0.9, 0.001, 0.08571428571428572,
    ];
    const q = benjaminiHochberg(p);
    expected.forEach((e, i) => expect(q[i]).toBeCloseTo(e, 14));
  });

  it('leaves NaN out of m and keeps q monotone in p', () => {
    const q = benjaminiHochberg([0.01, NaN, 0.02]);
    expect(Number.isNaN(q[1])).toBe(true);
    expect(q[0]).toBeCloseTo(0.02, 14);
    expect(q[2]).toBeCloseTo(0.02, 14);
    expect(() => benjaminiHochberg([1.2])).toThrow(RangeError);
  });

  // Calibration where the truth is known: 90 null channels (uniform p) and 10
  // with signal (p from a Beta(0.05, 1)); the realised false-discovery
  // proportion averaged over 2000 layers must stay at or below α.
  it('controls the false-discovery rate at α on simulated layers', () => {
    const rng = new Rng(7);
    const alpha = 0.05;
    let fdp = 0;
    let anyNullFlagged = 0;
    const reps = 2000;
    for (let r = 0; r < reps; r++) {
      const p = new Float64Array(100);
      for (let i = 0; i < 100; i++) p[i] = i < 90 ? rng.next() : Math.pow(rng.next(), 20);
      const q = benjaminiHochberg(p);
      let flagged = 0;
      let falseFlags = 0;
      for (let i = 0; i < 100; i++) {
        if (q[i] < alpha) {
          flagged++;
          if (i < 90) falseFlags++;
        }
      }
      fdp += flagged ? falseFlags / flagged : 0;
      if (falseFlags) anyNullFlagged++;
    }
    // BH's FDR is π₀·α = 0.045 here; allow Monte Carlo error (sd ≈ 0.004).
    expect(fdp / reps).toBeLessThan(alpha);
    expect(fdp / reps).toBeGreaterThan(0.02);
    expect(anyNullFlagged).toBeGreaterThan(0);
  });
});

describe('Storey π₀', () => {
  it('is near the true null fraction and never above 1', () => {
    const rng = new Rng(3);
    const p = new Float64Array(4000);
    for (let i = 0; i < p.length; i++) p[i] = i < 3000 ? rng.next() : Math.pow(rng.next(), 30);
    expect(storeyPi0(p)).toBeGreaterThan(0.7);
    expect(storeyPi0(p)).toBeLessThan(0.8);
    expect(storeyPi0([0.9, 0.95, 0.99])).toBe(1);
  });
});

describe('permutations for FDR', () => {
  it('lets the smallest p reach α/m', () => {
    for (const m of [1, 32, 64, 512]) {
      const b = permutationsForFdr(m, 0.05);
      expect(1 / (b + 1)).toBeLessThanOrEqual(0.05 / m + 1e-15);
      expect(1 / b).toBeGreaterThan(0.05 / m);
    }
  });
});
