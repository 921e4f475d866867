import { describe, expect, it } from 'vitest';
import { channelPca } from '../../lib/pcace/pca';
import { tridiagonalEigen } from '../../lib/pcace/linalg/tridiagonal-eigen';
import { lanczosTopK } from '../../lib/pcace/linalg/lanczos';
import { Rng } from '../../lib/pcace/random';
import { latentMaps } from '../fixtures/dense-pca';

/** Cyclic Jacobi: an independent, slow, exact reference for symmetric eigenproblems. */
function jacobiEigenvalues(a: number[][]): number[] {
  const m = a.length;
  const A = a.map((r) => r.slice());
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += A[p][q] ** 2;
    if (off < 1e-26) break;
    for (let p = 0; p < m; p++)
      for (let q = p + 1; q < m; q++) {
        if (Math.abs(A[p][q]) < 1e-300) continue;
        const theta = (A[q][q] - A[p][p]) / (2 * A[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < m; k++) {
          const akp = A[k][p];
          const akq = A[k][q];
          A[k][p] = c * akp - s * akq;
          A[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = A[p][k];
          const aqk = A[q][k];
          A[p][k] = c * apk - s * aqk;
          A[q][k] = s * apk + c * aqk;
        }
      }
  }
  return A.map((r, i) => r[i]).sort((x, y) => y - x);
}

const randomMaps = (n: number, p: number, latent: number, seed: number) => latentMaps(n, p, latent, seed, 0.3);

function standardisedCov(x: Float64Array, n: number, p: number): number[][] {
  const cols = Array.from({ length: p }, (_, j) => {
    const c = Array.from({ length: n }, (_, i) => x[i * p + j]);
    const m = c.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(c.reduce((a, b) => a + (b - m) ** 2, 0) / n);
    return c.map((v) => (v - m) / sd);
  });
  return cols.map((a) => cols.map((b) => a.reduce((s, v, i) => s + v * b[i], 0)));
}

describe('tridiagonal eigen', () => {
  it('matches Jacobi on a random tridiagonal matrix and returns orthonormal vectors', () => {
    const rng = new Rng(3);
    const m = 12;
    const d = Array.from({ length: m }, () => rng.normal());
    const e = Array.from({ length: m - 1 }, () => rng.normal());
    const dense = Array.from({ length: m }, (_, i) => Array.from({ length: m }, (_, j) => (i === j ? d[i] : Math.abs(i - j) === 1 ? e[Math.min(i, j)] : 0)));
    const { values, vectors } = tridiagonalEigen(d, e);
    const ref = jacobiEigenvalues(dense);
    values.forEach((v, i) => expect(v).toBeCloseTo(ref[i], 12));
    for (let a = 0; a < m; a++)
      for (let b = 0; b < m; b++) {
        let s = 0;
        for (let k = 0; k < m; k++) s += vectors[k * m + a] * vectors[k * m + b];
        expect(s).toBeCloseTo(a === b ? 1 : 0, 12);
      }
  });
});

describe('Lanczos top-k', () => {
  it('finds the leading eigenvalues of a dense PSD matrix', () => {
    const n = 40;
    const p = 25;
    const x = randomMaps(n, p, 4, 11);
    const cov = standardisedCov(x, n, p);
    const ref = jacobiEigenvalues(cov);
    const eig = lanczosTopK(p, 6, (v, out) => {
      for (let i = 0; i < p; i++) out[i] = cov[i].reduce((s, c, j) => s + c * v[j], 0);
    });
    expect(eig.values.length).toBe(6);
    eig.values.forEach((v, i) => expect(v / ref[0]).toBeCloseTo(ref[i] / ref[0], 10));
  });

  it('stops at the rank of a rank-deficient operator', () => {
    const u = [1, 2, 3, 4, 5].map((v) => v / Math.sqrt(55));
    const eig = lanczosTopK(5, 3, (v, out) => {
      const c = u.reduce((s, ui, i) => s + ui * v[i], 0);
      for (let i = 0; i < 5; i++) out[i] = 7 * c * u[i];
    });
    expect(eig.values.length).toBe(1);
    expect(eig.values[0]).toBeCloseTo(7, 12);
  });
});

describe('channelPca', () => {
  const n = 60;
  const p = 30;
  const x = randomMaps(n, p, 3, 5);

  it('gives component variances equal to the eigenvalues of the standardised covariance', () => {
    const ref = jacobiEigenvalues(standardisedCov(x, n, p));
    const total = ref.reduce((a, b) => a + b, 0);
    const pca = channelPca(x, n, p, 5);
    expect(pca.scores.length).toBe(5);
    pca.scores.forEach((s, c) => {
      const ss = s.reduce((a, v) => a + v * v, 0);
      expect(ss / ref[c]).toBeCloseTo(1, 9);
      expect(pca.explainedVarianceRatio[c]).toBeCloseTo(ref[c] / total, 10);
    });
    // Scores are uncorrelated and centred.
    for (let a = 0; a < 5; a++) {
      expect(Math.abs(pca.scores[a].reduce((s, v) => s + v, 0))).toBeLessThan(1e-8);
      for (let b = a + 1; b < 5; b++) {
        const dot = pca.scores[a].reduce((s, v, i) => s + v * pca.scores[b][i], 0);
        expect(Math.abs(dot)).toBeLessThan(1e-7 * ref[0]);
      }
    }
  });

  it('uses the image space when positions outnumber images, with the same answer', () => {
    const wide = randomMaps(20, 80, 3, 8);
    const pca = channelPca(wide, 20, 80, 4);
    const ref = jacobiEigenvalues(standardisedCov(wide, 20, 80));
    pca.scores.forEach((s, c) => expect(s.reduce((a, v) => a + v * v, 0) / ref[c]).toBeCloseTo(1, 9));
  });

  it('makes the largest-magnitude score positive (deterministic sign)', () => {
    const pca = channelPca(x, n, p, 3);
    for (const s of pca.scores) {
      let best = 0;
      s.forEach((v, i) => (Math.abs(v) > Math.abs(s[best]) ? (best = i) : 0));
      expect(s[best]).toBeGreaterThan(0);
    }
    const flipped = x.map((v) => -v);
    const again = channelPca(flipped, n, p, 3);
    again.scores.forEach((s, c) => s.forEach((v, i) => expect(v).toBeCloseTo(pca.scores[c][i], 8)));
  });

  it('drops constant positions and reports a constant channel', () => {
    const withConst = new Float64Array(n * (p + 2));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < p; j++) withConst[i * (p + 2) + j] = x[i * p + j];
      withConst[i * (p + 2) + p] = 0.25;
      withConst[i * (p + 2) + p + 1] = -3;
    }
    const a = channelPca(withConst, n, p + 2, 3);
    expect(a.positionsUsed).toBe(p);
    const b = channelPca(x, n, p, 3);
    a.scores.forEach((s, c) => s.forEach((v, i) => expect(v).toBeCloseTo(b.scores[c][i], 10)));
    const dead = channelPca(new Float64Array(n * 4).fill(1.5), n, 4, 3);
    expect(dead.scores.length).toBe(0);
    expect(dead.warnings[0]).toMatch(/constant channel/);
  });

  it("resolves 'half' and caps it at n − 1 with a warning", () => {
    const wide = randomMaps(10, 40, 12, 2);
    const pca = channelPca(wide, 10, 40, 'half');
    expect(pca.componentsRequested).toBe(20);
    expect(pca.scores.length).toBe(9);
    expect(pca.warnings.join(' ')).toMatch(/at most 9/);
  });

  it('picks the fewest components reaching a variance fraction', () => {
    const pca = channelPca(x, n, p, { varianceFraction: 0.9 });
    const cum = pca.explainedVarianceRatio.reduce((a, b) => a + b, 0);
    expect(cum).toBeGreaterThanOrEqual(0.9 - 1e-12);
    expect(cum - pca.explainedVarianceRatio[pca.scores.length - 1]).toBeLessThan(0.9);
  });

  it('rejects non-finite activations and bad component counts clearly', () => {
    const bad = Float64Array.from(x);
    bad[17] = NaN;
    expect(() => channelPca(bad, n, p, 3)).toThrow(/non-finite value \(NaN\) at index 17/);
    expect(() => channelPca(x, n, p, 0)).toThrow(/integer ≥ 1/);
    expect(() => channelPca(x, n, p, { varianceFraction: 1.5 })).toThrow(/variance fraction/);
    expect(() => channelPca(x, n, p + 1, 3)).toThrow(/expected/);
  });
});
