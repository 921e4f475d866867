/**
 * Eigen-decomposition of a symmetric tridiagonal matrix by the implicit QL
 * method with Wilkinson-style shifts. Lanczos reduces every PCA to this
 * small problem, so it must be exact to rounding, not merely convergent.
 */

export interface TridiagonalEigen {
  /** Eigenvalues in descending order. */
  values: Float64Array;
  /**
   * Eigenvectors as columns of a row-major matrix, same order as values: m×m,
   * or 1×m (only the last component of each vector) with `lastRowOnly`.
   */
  vectors: Float64Array;
}

/**
 * @param diag length m
 * @param offDiag length ≥ m−1; offDiag[i] couples rows i and i+1
 */
export function tridiagonalEigen(diag: ArrayLike<number>, offDiag: ArrayLike<number>, lastRowOnly = false): TridiagonalEigen {
  const m = diag.length;
  const d = Float64Array.from(diag);
  const e = new Float64Array(m);
  for (let i = 0; i < m - 1; i++) e[i] = offDiag[i];
  // Rows of the eigenvector matrix rotate independently; Lanczos convergence
  // checks need only the last row, which makes them O(m²) instead of O(m³).
  const rows = lastRowOnly ? 1 : m;
  const z = new Float64Array(rows * m);
  if (lastRowOnly) z[m - 1] = 1;
  else for (let i = 0; i < m; i++) z[i * m + i] = 1;

  for (let l = 0; l < m; l++) {
    let iter = 0;
    let split: number;
    do {
      for (split = l; split < m - 1; split++) {
        const dd = Math.abs(d[split]) + Math.abs(d[split + 1]);
        if (Math.abs(e[split]) <= Number.EPSILON * dd) break;
      }
      if (split === l) break;
      if (++iter > 60) throw new Error('tridiagonal eigen-decomposition did not converge');
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[split] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i: number;
      let underflow = false;
      for (i = split - 1; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= p;
          e[split] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        for (let k = 0; k < rows; k++) {
          const row = k * m;
          const zf = z[row + i + 1];
          const zi = z[row + i];
          z[row + i + 1] = s * zi + c * zf;
          z[row + i] = c * zi - s * zf;
        }
      }
      if (underflow) continue;
      d[l] -= p;
      e[l] = g;
      e[split] = 0;
    } while (true);
  }

  // Sort descending; PCA wants the largest components first.
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => d[b] - d[a]);
  const values = new Float64Array(m);
  const vectors = new Float64Array(rows * m);
  for (let j = 0; j < m; j++) {
    const src = order[j];
    values[j] = d[src];
    for (let k = 0; k < rows; k++) vectors[k * m + j] = z[k * m + src];
  }
  return { values, vectors };
}
