/**
 * Leading eigenpairs of a symmetric positive semi-definite operator by Lanczos
 * with full re-orthogonalisation. PCA of one channel needs only its top k
 * components out of hundreds of map positions; forming and fully decomposing
 * the covariance would cost 20–50× more per channel.
 */
import { Rng } from '../random';
import { tridiagonalEigen } from './tridiagonal-eigen';

export interface EigenPairs {
  /** Descending eigenvalues. */
  values: Float64Array;
  /** Unit eigenvectors, vectors[i] belongs to values[i]. */
  vectors: Float64Array[];
}

export interface LanczosOptions {
  /** Residual tolerance relative to the largest eigenvalue. */
  tol?: number;
  /** Seed of the start vector (results do not depend on it beyond rounding). */
  seed?: number;
}

/**
 * @param dim operator dimension
 * @param k number of leading pairs wanted (≤ dim); fewer are returned when the
 *   operator's range is smaller (rank deficiency), never zero-eigenvalue noise.
 * @param apply out ← A·v
 */
export function lanczosTopK(
  dim: number,
  k: number,
  apply: (v: Float64Array, out: Float64Array) => void,
  options: LanczosOptions = {},
): EigenPairs {
  const tol = options.tol ?? 1e-12;
  const rng = new Rng(options.seed ?? 0x5eed);
  const basis: Float64Array[] = [];
  const alpha: number[] = [];
  const beta: number[] = [];
  const w = new Float64Array(dim);
  let scale = 0;
  let finalSize = 0;
  // Checks cost O(m²); spacing them geometrically keeps their total below the matvecs'.
  let nextCheck = Math.max(k, 2);

  let v = startVector(dim, rng, basis);
  while (v && basis.length < dim) {
    basis.push(v);
    const j = basis.length - 1;
    apply(v, w);
    const a = dot(v, w);
    alpha.push(a);
    const before = Math.sqrt(dot(w, w));
    orthogonalise(w, basis);
    let b = Math.sqrt(dot(w, w));
    // Kahan–Parlett: a second pass only when the first cancelled most of w.
    if (b < 0.7 * before) {
      orthogonalise(w, basis);
      b = Math.sqrt(dot(w, w));
    }
    scale = Math.max(scale, Math.abs(a) + b);
    const m = basis.length;
    const exhausted = m === dim;
    const breakdown = b <= 1e-14 * Math.max(scale, Number.MIN_VALUE);
    if (exhausted || breakdown || m === nextCheck) {
      // Residual of Ritz pair i is |b · (last component of its T-eigenvector)|.
      const t = tridiagonalEigen(alpha, beta, true);
      const lead = Math.max(Math.abs(t.values[0]), Number.MIN_VALUE);
      let converged = m >= k;
      for (let i = 0; converged && i < k; i++) {
        if (Math.abs(b * t.vectors[i]) > tol * lead) converged = false;
      }
      if (converged || exhausted) {
        finalSize = m;
        break;
      }
      nextCheck = m + Math.max(2, Math.floor(m / 8));
    }
    if (breakdown) {
      // Invariant subspace found; continue in its orthogonal complement so that
      // eigenvalues the start vector missed are still found.
      beta.push(0);
      v = startVector(dim, rng, basis);
      if (!v) break;
    } else {
      beta.push(b);
      const next = new Float64Array(dim);
      for (let i = 0; i < dim; i++) next[i] = w[i] / b;
      v = next;
    }
  }
  if (finalSize === 0) finalSize = basis.length;
  if (finalSize === 0) return { values: new Float64Array(0), vectors: [] };
  const m = finalSize;
  const result = tridiagonalEigen(alpha.slice(0, m), beta.slice(0, m - 1));
  const lead = Math.max(result.values[0], 0);
  const values: number[] = [];
  const vectors: Float64Array[] = [];
  for (let i = 0; i < Math.min(k, m); i++) {
    const lambda = result.values[i];
    // Zero eigenvalues carry no variance: a component there would be noise.
    if (!(lambda > lead * 1e-12) || lambda <= 0) break;
    const y = new Float64Array(dim);
    for (let r = 0; r < m; r++) {
      const coef = result.vectors[r * m + i];
      const q = basis[r];
      for (let c = 0; c < dim; c++) y[c] += coef * q[c];
    }
    const norm = Math.sqrt(dot(y, y));
    for (let c = 0; c < dim; c++) y[c] /= norm;
    values.push(lambda);
    vectors.push(y);
  }
  return { values: Float64Array.from(values), vectors };
}

function startVector(dim: number, rng: Rng, basis: Float64Array[]): Float64Array | null {
  for (let attempt = 0; attempt < 3; attempt++) {
    const v = new Float64Array(dim);
    for (let i = 0; i < dim; i++) v[i] = rng.next() - 0.5;
    orthogonalise(v, basis);
    orthogonalise(v, basis);
    const norm = Math.sqrt(dot(v, v));
    if (norm > 1e-8) {
      for (let i = 0; i < dim; i++) v[i] /= norm;
      return v;
    }
  }
  return null;
}

function orthogonalise(w: Float64Array, basis: Float64Array[]): void {
  for (const q of basis) {
    const c = dot(q, w);
    for (let i = 0; i < w.length; i++) w[i] -= c * q[i];
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
