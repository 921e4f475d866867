/**
 * acepack's running-line smoother (`smooth`), computed directly from (x, y, w).
 * `window-plan.ts` computes the same numbers faster when x and w are reused.
 *
 * The window loops here repeat, on purpose, those of window-plan.ts,
 * window-plan-fused.ts and supsmu.ts: each variant keeps acepack's operations in
 * acepack's order inline (a shared helper would change what the loop keeps in
 * registers, and the variants are checked bit-for-bit against each other), so the
 * repetition is deliberate unrolling, not copy-paste.
 */

/** Half-width of acepack's window: ⌊span·n/2 + ½⌋, at least 2. */
export function halfWidth(span: number, n: number): number {
  const ibw = Math.trunc(0.5 * span * n + 0.5);
  return ibw < 2 ? 2 : ibw;
}

/**
 * Local linear fit over a window of 2·ibw+1 neighbouring positions, ibw = ⌊span·n/2 + ½⌋
 * (at least 2), with the window sums updated incrementally. With `acvr` it also writes
 * the absolute leave-one-out residual |y − ŷ| / (1 − w·h), h the leverage. Tied x
 * finally share the weighted mean of their fits.
 */
export function runningLines(
  n: number,
  x: Float64Array,
  y: Float64Array,
  w: Float64Array,
  span: number,
  vsmlsq: number,
  smo: Float64Array,
  acvr: Float64Array | null,
): void {
  const ibw = halfWidth(span, n);
  let it = 2 * ibw + 1;
  if (it > n) it = n;
  let xm = 0;
  let ym = 0;
  let vr = 0;
  let cv = 0;
  let fbw = 0;
  for (let j = 0; j < it; j++) {
    const xj = x[j];
    const yj = y[j];
    const wt = w[j];
    const fbo = fbw;
    fbw = fbo + wt;
    if (fbw > 0) {
      xm = (fbo * xm + wt * xj) / fbw;
      ym = (fbo * ym + wt * yj) / fbw;
    }
    let tmp = 0;
    if (fbo > 0) tmp = (fbw * wt * (xj - xm)) / fbo;
    vr += tmp * (xj - xm);
    cv += tmp * (yj - ym);
  }
  // Positions [first, last] slide the window; before and after it stays frozen at an
  // end of the data, so its slope and leverage base are computed once there.
  const first = ibw + 1;
  const last = n - 1 - ibw;
  if (first > last) {
    frozenWindow(0, n, x, y, w, xm, ym, vr, cv, fbw, vsmlsq, smo, acvr);
    averageTiesWeighted(n, x, w, smo);
    return;
  }
  frozenWindow(0, first, x, y, w, xm, ym, vr, cv, fbw, vsmlsq, smo, acvr);
  for (let j = first; j <= last; j++) {
    const out = j - ibw - 1;
    const inn = j + ibw;
    const xo = x[out];
    const yo = y[out];
    let wt = w[out];
    let fbo = fbw;
    fbw = fbo - wt;
    let tmp = 0;
    if (fbw > 0) tmp = (fbo * wt * (xo - xm)) / fbw;
    vr -= tmp * (xo - xm);
    cv -= tmp * (yo - ym);
    if (fbw > 0) {
      xm = (fbo * xm - wt * xo) / fbw;
      ym = (fbo * ym - wt * yo) / fbw;
    } else {
      vr = 0;
      cv = 0;
    }
    const xi = x[inn];
    const yi = y[inn];
    wt = w[inn];
    fbo = fbw;
    fbw = fbo + wt;
    if (fbw > 0) {
      xm = (fbo * xm + wt * xi) / fbw;
      ym = (fbo * ym + wt * yi) / fbw;
    }
    tmp = 0;
    if (fbo > 0) tmp = (fbw * wt * (xi - xm)) / fbo;
    vr += tmp * (xi - xm);
    cv += tmp * (yi - ym);

    const dx = x[j] - xm;
    const sloped = vr > vsmlsq;
    const s = (sloped ? cv / vr : 0) * dx + ym;
    smo[j] = s;
    if (acvr !== null) {
      if (fbw > 0) {
        let h = 1 / fbw;
        if (sloped) h += (dx * dx) / vr;
        acvr[j] = Math.abs(y[j] - s) / (1 - w[j] * h);
      } else {
        acvr[j] = 0;
      }
    }
  }
  frozenWindow(last + 1, n, x, y, w, xm, ym, vr, cv, fbw, vsmlsq, smo, acvr);
  averageTiesWeighted(n, x, w, smo);
}

/** Fits (and leave-one-out residuals) at positions [from, to) of one fixed window. */
function frozenWindow(
  from: number,
  to: number,
  x: Float64Array,
  y: Float64Array,
  w: Float64Array,
  xm: number,
  ym: number,
  vr: number,
  cv: number,
  fbw: number,
  vsmlsq: number,
  smo: Float64Array,
  acvr: Float64Array | null,
): void {
  const sloped = vr > vsmlsq;
  const a = sloped ? cv / vr : 0;
  if (acvr === null) {
    for (let j = from; j < to; j++) smo[j] = a * (x[j] - xm) + ym;
    return;
  }
  if (!(fbw > 0)) {
    for (let j = from; j < to; j++) {
      smo[j] = a * (x[j] - xm) + ym;
      acvr[j] = 0;
    }
    return;
  }
  const h0 = 1 / fbw;
  for (let j = from; j < to; j++) {
    const dx = x[j] - xm;
    const s = a * dx + ym;
    smo[j] = s;
    const h = sloped ? h0 + (dx * dx) / vr : h0;
    acvr[j] = Math.abs(y[j] - s) / (1 - w[j] * h);
  }
}

/** Tied x get the weighted mean of their values (runs of one value are left as they are). */
export function averageTiesWeighted(n: number, x: Float64Array, w: Float64Array, smo: Float64Array): void {
  tiedMeans(n, x, w, smo, smo, false);
}

/**
 * Each run of tied x (x sorted) gets the weighted mean of its `src` values, written to
 * `dst` (which may be `src`); a run of zero total weight gets the plain mean. With
 * `singletons`, a run of one value is written too (as w·y/w, as acepack's categorical
 * smooth computes it); without, it keeps its value.
 */
export function tiedMeans(n: number, x: Float64Array, w: Float64Array, src: Float64Array, dst: Float64Array, singletons: boolean): void {
  let j = 0;
  while (j < n) {
    const j0 = j;
    let sy = w[j] * src[j];
    let fbw = w[j];
    while (j < n - 1 && x[j + 1] <= x[j]) {
      j++;
      sy = sy + w[j] * src[j];
      fbw = fbw + w[j];
    }
    if (j > j0 || singletons) {
      if (fbw > 0) {
        sy = sy / fbw;
      } else {
        sy = 0;
        for (let i = j0; i <= j; i++) sy += src[i];
        sy /= j - j0 + 1;
      }
      for (let i = j0; i <= j; i++) dst[i] = sy;
    }
    j++;
  }
}

