/**
 * ACE's start values for the predictors, as acepack's `scail` computes them: each
 * centred column scaled by its coefficient in the weighted least-squares regression of
 * the standardized response on all of them, found by conjugate gradients and stopped
 * the way acepack stops (so the start, and hence the fit, match acepack's).
 */

/*
 * Dot products for the linear start. Each sum runs in acepack's order, but eight
 * independent sums advance together: a lone running sum waits on its previous addition,
 * interleaved ones overlap, and the results are bit-for-bit the same. The eight sums
 * and their repeated blocks are unrolled by hand on purpose (deliberate repetition: a
 * loop or an array of sums would bring the dependency chain back). Measured by
 * bench/linear-start-dots.ts: a quarter to three quarters of the time of one sum at a
 * time (bench/README.md). Exported for that benchmark.
 */

/** out[j] = Σ_i c[i]·rows[j·p + i]. */
export function rowDots(rows: Float64Array, c: Float64Array, n: number, p: number, out: Float64Array): void {
  let j = 0;
  for (; j + 7 < n; j += 8) {
    const a0 = j * p;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let s5 = 0;
    let s6 = 0;
    let s7 = 0;
    for (let i = 0; i < p; i++) {
      const ci = c[i];
      let a = a0 + i;
      s0 = s0 + ci * rows[a];
      s1 = s1 + ci * rows[(a += p)];
      s2 = s2 + ci * rows[(a += p)];
      s3 = s3 + ci * rows[(a += p)];
      s4 = s4 + ci * rows[(a += p)];
      s5 = s5 + ci * rows[(a += p)];
      s6 = s6 + ci * rows[(a += p)];
      s7 = s7 + ci * rows[a + p];
    }
    out[j] = s0;
    out[j + 1] = s1;
    out[j + 2] = s2;
    out[j + 3] = s3;
    out[j + 4] = s4;
    out[j + 5] = s5;
    out[j + 6] = s6;
    out[j + 7] = s7;
  }
  for (; j < n; j++) {
    const a = j * p;
    let s = 0;
    for (let i = 0; i < p; i++) s = s + c[i] * rows[a + i];
    out[j] = s;
  }
}

/** out[i] = Σ_j v[j]·cols[i][j]. */
export function columnDots(cols: Float64Array[], v: Float64Array, n: number, p: number, out: Float64Array): void {
  let i = 0;
  for (; i + 7 < p; i += 8) {
    const c0 = cols[i];
    const c1 = cols[i + 1];
    const c2 = cols[i + 2];
    const c3 = cols[i + 3];
    const c4 = cols[i + 4];
    const c5 = cols[i + 5];
    const c6 = cols[i + 6];
    const c7 = cols[i + 7];
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let s5 = 0;
    let s6 = 0;
    let s7 = 0;
    for (let j = 0; j < n; j++) {
      const vj = v[j];
      s0 = s0 + vj * c0[j];
      s1 = s1 + vj * c1[j];
      s2 = s2 + vj * c2[j];
      s3 = s3 + vj * c3[j];
      s4 = s4 + vj * c4[j];
      s5 = s5 + vj * c5[j];
      s6 = s6 + vj * c6[j];
      s7 = s7 + vj * c7[j];
    }
    out[i] = s0;
    out[i + 1] = s1;
    out[i + 2] = s2;
    out[i + 3] = s3;
    out[i + 4] = s4;
    out[i + 5] = s5;
    out[i + 6] = s6;
    out[i + 7] = s7;
  }
  for (; i < p; i++) {
    const c = cols[i];
    let s = 0;
    for (let j = 0; j < n; j++) s = s + v[j] * c[j];
    out[i] = s;
  }
}

/**
 * Scales the centred columns `tx` by the weighted least-squares coefficients of `ty` on
 * them, found as acepack does: rounds of p conjugate-gradient steps, repeated until no
 * coefficient moves by `eps` or after `maxRounds` rounds.
 */
export function linearStart(
  n: number,
  p: number,
  w: Float64Array,
  sw: number,
  ty: Float64Array,
  tx: Float64Array[],
  eps: number,
  maxRounds: number,
  r: Float64Array,
  sc: Float64Array,
  rows: Float64Array,
  u: Float64Array,
): void {
  for (let i = 0; i < p; i++) {
    const t = tx[i];
    for (let j = 0, at = i; j < n; j++, at += p) rows[at] = t[j];
  }
  const beta = sc.subarray(0, p);
  const grad = sc.subarray(p, 2 * p);
  const dir = sc.subarray(2 * p, 3 * p);
  const prevDir = sc.subarray(3 * p, 4 * p);
  const prevBeta = sc.subarray(4 * p, 5 * p);
  beta.fill(0);
  let round = 0;
  let h = 0;
  for (;;) {
    round++;
    prevBeta.set(beta);
    for (let step = 1; step <= p; step++) {
      rowDots(rows, beta, n, p, r);
      for (let j = 0; j < n; j++) r[j] = (ty[j] - r[j]) * w[j];
      columnDots(tx, r, n, p, grad);
      for (let i = 0; i < p; i++) grad[i] = (-2 * grad[i]) / sw;
      let g2 = 0;
      for (let i = 0; i < p; i++) g2 = g2 + grad[i] * grad[i];
      if (g2 <= 0) break;
      if (step === 1) {
        for (let i = 0; i < p; i++) dir[i] = -grad[i];
      } else {
        const gamma = g2 / h;
        for (let i = 0; i < p; i++) dir[i] = -grad[i] + gamma * prevDir[i];
      }
      h = g2;
      let s = 0;
      let t = 0;
      rowDots(rows, dir, n, p, u);
      for (let j = 0; j < n; j++) {
        const uj = u[j];
        s = s + uj * r[j];
        t = t + w[j] * (uj * uj);
      }
      const delta = s / t;
      for (let i = 0; i < p; i++) {
        beta[i] = beta[i] + delta * dir[i];
        prevDir[i] = dir[i];
      }
    }
    let change = 0;
    for (let i = 0; i < p; i++) change = Math.max(change, Math.abs(beta[i] - prevBeta[i]));
    if (change < eps || round >= maxRounds) break;
  }
  for (let i = 0; i < p; i++) {
    const t = tx[i];
    const b = beta[i];
    for (let j = 0; j < n; j++) t[j] = b * t[j];
  }
}
