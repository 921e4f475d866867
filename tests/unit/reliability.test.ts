import { describe, expect, it } from 'vitest';
import { disattenuatedCorrelation, reliabilityOf } from '../../lib/pcace/reliability';
import { Rng } from '../../lib/pcace/random';
import { correlatedNormals } from '../helpers/random';

/** Population Spearman of a bivariate normal with Pearson r (Pearson 1907). */
const latentSpearman = (r: number) => (6 / Math.PI) * Math.asin(r / 2);

/**
 * m channels with latent scores (tx, ty) of correlation rho; each ranking is
 * measured twice (samples 1 and 2) with reliability relX / relY (Pearson).
 * `shared` of the error variance is common to x and y within a sample: two
 * rankings made on the same images share those images' sampling error.
 */
function simulate(rng: Rng, m: number, rho: number, relX: number, relY: number, shared: number) {
  const { a: tx, b: ty } = correlatedNormals(m, rho, rng);
  const ex = Math.sqrt(1 / relX - 1);
  const ey = Math.sqrt(1 / relY - 1);
  const sample = () => {
    const x = new Float64Array(m);
    const y = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const common = Math.sqrt(shared) * rng.normal();
      x[i] = tx[i] + ex * (common + Math.sqrt(1 - shared) * rng.normal());
      y[i] = ty[i] + ey * (common + Math.sqrt(1 - shared) * rng.normal());
    }
    return [x, y];
  };
  const [x1, y1] = sample();
  const [x2, y2] = sample();
  return { x1, x2, y1, y2 };
}

describe('test–retest reliability', () => {
  it('its interval covers the known population reliability about 95 % of the time', () => {
    const rng = new Rng(21);
    for (const [m, rel] of [
      [32, 0.9],
      [64, 0.6],
    ] as const) {
      const truth = latentSpearman(rel);
      let covered = 0;
      const reps = 400;
      for (let s = 0; s < reps; s++) {
        const { x1, x2 } = simulate(rng, m, 0, rel, rel, 0);
        const r = reliabilityOf(x1, x2);
        expect(r.channels).toBe(m);
        if (r.ci[0] <= truth && truth <= r.ci[1]) covered++;
      }
      // Binomial sd at 95 % over 400 runs is 1.1 %.
      expect(covered / reps).toBeGreaterThan(0.92);
      expect(covered / reps).toBeLessThan(0.99);
    }
  });

  it('gives no interval where none is defined', () => {
    expect(reliabilityOf([1, 2, 3], [3, 2, 1])).toEqual({ spearman: NaN, ci: [NaN, NaN], channels: 3 });
    expect(reliabilityOf([1, 1, 1, 1, 1], [1, 2, 3, 4, 5]).ci).toEqual([NaN, NaN]);
    expect(() => reliabilityOf([1, 2, 3], [1, 2])).toThrow(/3 and 2 channels/);
  });
});

describe('disattenuated correlation', () => {
  it('recovers a perfect latent agreement', () => {
    const rng = new Rng(8);
    const { x1, x2, y1, y2 } = simulate(rng, 200, 1, 0.6, 0.6, 0);
    const d = disattenuatedCorrelation(x1, x2, y1, y2, { resamples: 300, seed: 1 });
    expect(d.rho_xy).toBeLessThan(0.75);
    expect(d.rho).toBeGreaterThan(0.9);
    expect(d.ci[0]).toBeLessThan(1);
    expect(d.ci[1]).toBeGreaterThan(1);
  });

  it('its interval covers the known latent correlation about 95 % of the time, also when rankings on the same images share their error', () => {
    const rng = new Rng(5);
    // (channels, latent Pearson ρ, reliabilities, shared error share): the shared cases are where
    // correlating rankings made on the same images covered only 55–70 % of the time.
    const cases = [
      [64, 0.5, 0.8, 0.7, 0.5],
      [64, 0, 0.6, 0.6, 0.5],
      [32, 0.8, 0.9, 0.5, 0],
    ] as const;
    for (const [m, rho, relX, relY, shared] of cases) {
      const truth = latentSpearman(rho);
      let covered = 0;
      const estimates: number[] = [];
      const reps = 80;
      for (let s = 0; s < reps; s++) {
        const { x1, x2, y1, y2 } = simulate(rng, m, rho, relX, relY, shared);
        const d = disattenuatedCorrelation(x1, x2, y1, y2, { resamples: 200, seed: s });
        // Undefined (NaN) when a sample's reliability comes out ≤ 0; it then covers nothing.
        if (Number.isFinite(d.rho)) estimates.push(d.rho);
        if (d.ci[0] <= truth && truth <= d.ci[1]) covered++;
      }
      // Binomial sd at 95 % over 80 runs is 2.4 %.
      expect(covered / reps, `m=${m} ρ=${rho} shared=${shared}`).toBeGreaterThan(0.88);
      expect(covered / reps).toBeLessThanOrEqual(1);
      // A ratio of noisy correlations is biased upwards when a reliability is low and m small (+0.06 at m = 32, rel 0.5).
      expect(estimates.length).toBeGreaterThan(0.95 * reps);
      expect(Math.abs(estimates.reduce((a, b) => a + b, 0) / estimates.length - truth), `bias at ρ=${rho}`).toBeLessThan(0.08);
    }
  });
});
