/**
 * lib/pcace/pca.ts (Lanczos top-k) against dense linear algebra from ml-matrix
 * (SVD of the standardised maps, eigen-decomposition of their Gram matrix), on
 * random maps and on MNIST digits at the shapes real layers have: 300 images ×
 * 14×14 (positions < images: the XᵀX operator path) and × 28×28 (positions >
 * images: the n×n Gram path).
 */
import { describe, expect, it } from 'vitest';
import { channelPca, type PcaResult } from '../../lib/pcace/pca';
import { denseEigenvalues, denseSvdPca, latentMaps, mnistMaps, standardisedMatrix } from '../fixtures/dense-pca';

const N = 300;
const K = 5;
const TOL = 1e-8;

/** Worst relative differences of the top-K eigenvalues and scores of `ours` from the dense oracles. */
function differences(ours: PcaResult, maps: Float64Array, positions: number) {
  const x = standardisedMatrix(maps, N, positions);
  const p = x.columns;
  expect(ours.positionsUsed).toBe(p);
  expect(ours.scores).toHaveLength(K);
  const dense = denseSvdPca(x, K);
  // The Gram matrix on the smaller side has the same non-zero eigenvalues as XᵀX.
  const gram = p <= N ? x.transpose().mmul(x) : x.mmul(x.transpose());
  const evd = denseEigenvalues(gram, K);
  const ourValues = Array.from(ours.explainedVarianceRatio, (r) => r * N * p);
  let worstValue = 0;
  let worstScore = 0;
  for (let c = 0; c < K; c++) {
    worstValue = Math.max(worstValue, Math.abs(ourValues[c] - dense.values[c]) / dense.values[c], Math.abs(ourValues[c] - evd[c]) / evd[c]);
    // Components are defined up to sign; pca.ts fixes one, the oracle another.
    const s = ours.scores[c];
    const ref = dense.scores[c];
    const sign = s.reduce((a, v, i) => a + v * ref[i], 0) < 0 ? -1 : 1;
    const scale = Math.max(...ref.map(Math.abs));
    for (let i = 0; i < N; i++) worstScore = Math.max(worstScore, Math.abs(s[i] - sign * ref[i]) / scale);
  }
  return { worstValue, worstScore, p };
}

function compare(maps: Float64Array, positions: number) {
  const d = differences(channelPca(maps, N, positions, K), maps, positions);
  expect(d.worstValue).toBeLessThan(TOL);
  expect(d.worstScore).toBeLessThan(TOL);
  return d;
}

describe('PCA against ml-matrix dense decompositions', () => {
  it('random maps, 300 × 14×14 (XᵀX operator)', () => {
    compare(latentMaps(N, 196, 8, 11), 196);
  });

  it('random maps, 300 × 28×28 (Gram matrix)', () => {
    compare(latentMaps(N, 784, 8, 12), 784);
  });

  it('MNIST digits pooled to 14×14, 300 images', () => {
    const { maps, positions } = mnistMaps(N, true);
    const { p } = compare(maps, positions);
    // Border pixels that are black in every image are dropped by both.
    expect(p).toBeLessThan(196);
  });

  it('MNIST digits at 28×28, 300 images', () => {
    const { maps, positions } = mnistMaps(N, false);
    compare(maps, positions);
  });

  it('the comparison is not blind: a score off by 1e-6 of its range, or a scaled eigenvalue, fails it', () => {
    const maps = latentMaps(N, 196, 8, 13);
    const ours = channelPca(maps, N, 196, K);
    const moved = structuredClone(ours);
    const s = moved.scores[1];
    s[17] += 1e-6 * Math.max(...Array.from(s, Math.abs));
    expect(differences(moved, maps, 196).worstScore).toBeGreaterThan(TOL);
    const scaled = structuredClone(ours);
    scaled.explainedVarianceRatio[2] *= 1 + 1e-7;
    expect(differences(scaled, maps, 196).worstValue).toBeGreaterThan(TOL);
  });
});
