/**
 * Monotone post-processing of acepack's `smothr` for variables declared monotone
 * (`l = 3`): pool-adjacent-violators (acepack's `montne`) and the step that turns the
 * flat runs it leaves into gentle ramps.
 *
 * Both are written to reproduce acepack's arithmetic order: blocks are merged pairwise
 * as `(mean_a·len_a + mean_b·len_b) / (len_a + len_b)`, so rounding matches.
 */

/**
 * Non-decreasing least-squares fit (unit weights) of `v[from..from+n-1]`, in place.
 * A block is a maximal run of equal values; a violating neighbour block is pooled in,
 * first to the right, then repeatedly to the left.
 */
export function isotonicInPlace(v: Float64Array, n: number, from = 0): void {
  // Indices below are 1-based offsets into the run, as in the pooling rules above.
  const at = from - 1;
  let bb = 0;
  let eb = 0;
  while (eb < n) {
    bb = eb + 1;
    eb = bb;
    while (eb < n && v[at + bb] === v[at + eb + 1]) eb++;
    for (;;) {
      if (eb < n && v[at + eb] > v[at + eb + 1]) {
        const br = eb + 1;
        let er = br;
        while (er < n && v[at + er + 1] === v[at + br]) er++;
        const pooled = (v[at + bb] * (eb - bb + 1) + v[at + br] * (er - br + 1)) / (er - bb + 1);
        eb = er;
        for (let i = bb; i <= eb; i++) v[at + i] = pooled;
      }
      if (bb <= 1 || v[at + bb - 1] <= v[at + bb]) break;
      let bl = bb - 1;
      const el = bl;
      while (bl > 1 && v[at + bl - 1] === v[at + el]) bl--;
      const pooled = (v[at + bb] * (eb - bb + 1) + v[at + bl] * (el - bl + 1)) / (eb - bl + 1);
      bb = bl;
      for (let i = bb; i <= eb; i++) v[at + i] = pooled;
    }
  }
}

/**
 * Replaces each flat run of a monotone fit by a straight ramp through the midpoints of
 * its steps to the neighbouring values, so the transformation stays strictly monotone
 * where the data allow and ties in the fit do not collapse distinct x values.
 */
export function rampFlatRuns(smo: Float64Array, n: number): void {
  let j = 0;
  while (j < n) {
    const j0 = j;
    while (j < n - 1 && smo[j + 1] === smo[j]) j++;
    if (j > j0) {
      let a = 0;
      if (j0 > 0) a = 0.5 * (smo[j0] - smo[j0 - 1]);
      let b = 0;
      if (j < n - 1) b = 0.5 * (smo[j + 1] - smo[j]);
      let d = (a + b) / (j - j0);
      // At an end of the range (or beside another flat run) the ramp uses one side only.
      if (a === 0 || b === 0) d = 2 * d;
      if (a === 0) a = b;
      for (let i = j0; i <= j; i++) smo[i] = smo[i] - a + d * (i - j0);
    }
    j++;
  }
}

/**
 * acepack's monotone smoother from a supersmoother fit `smo` on sorted x, in place:
 * the closer (in squared distance) of the increasing and decreasing isotonic fits,
 * flat runs ramped, then tied x given the plain mean of their values. `up` and `down`
 * are scratch of length ≥ n.
 */
export function makeMonotone(n: number, x: Float64Array, smo: Float64Array, up: Float64Array, down: Float64Array): void {
  for (let j = 0; j < n; j++) {
    up[j] = smo[j];
    down[n - 1 - j] = smo[j];
  }
  isotonicInPlace(up, n);
  isotonicInPlace(down, n);
  let dUp = 0;
  let dDown = 0;
  for (let j = 0; j < n; j++) {
    const a = smo[j] - up[j];
    const b = smo[j] - down[n - 1 - j];
    dUp = dUp + a * a;
    dDown = dDown + b * b;
  }
  if (dUp < dDown) {
    for (let j = 0; j < n; j++) smo[j] = up[j];
  } else {
    for (let j = 0; j < n; j++) smo[j] = down[n - 1 - j];
  }
  rampFlatRuns(smo, n);
  let j = 0;
  while (j < n) {
    const j0 = j;
    let sm = smo[j];
    while (j < n - 1 && x[j + 1] <= x[j]) {
      j++;
      sm = sm + smo[j];
    }
    sm = sm / (j - j0 + 1);
    for (let i = j0; i <= j; i++) smo[i] = sm;
    j++;
  }
}
