/**
 * Multiple testing across channels. A layer has tens to hundreds of channels
 * and a network thousands; at α = 0.05 uncorrected, a whole ResNet-18 under
 * the null would show ~240 "significant" channels. Benjamini–Hochberg
 * q-values control the false-discovery rate instead: among channels declared
 * to beat noise at q < α, the expected fraction of false ones is ≤ α
 * (independent or positively dependent p-values, which is what channels
 * sharing one image set and one target give).
 *
 * Storey's π₀ (the estimated fraction of true nulls) sharpens BH when many
 * channels carry signal: q-values are multiplied by π₀ ≤ 1. It is an option,
 * off by default, because on small layers its estimate is noisy.
 */

/**
 * Benjamini–Hochberg adjusted p-values (q-values), in the input order:
 * q_(i) = min_{j ≥ i} min(1, π₀ · m · p_(j) / j). NaN p-values stay NaN and do
 * not count towards m.
 */
export function benjaminiHochberg(p: ArrayLike<number>, pi0 = 1): Float64Array {
  if (!(pi0 > 0 && pi0 <= 1)) throw new RangeError(`pi0 must lie in (0, 1], got ${pi0}`);
  const out = new Float64Array(p.length).fill(NaN);
  const idx: number[] = [];
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (Number.isNaN(v)) continue;
    if (v < 0 || v > 1) throw new RangeError(`p-values must lie in [0, 1], got ${v} at ${i}`);
    idx.push(i);
  }
  const m = idx.length;
  if (m === 0) return out;
  // Ascending p; ties keep input order so results never depend on the sort's stability.
  idx.sort((a, b) => p[a] - p[b] || a - b);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    const i = idx[r];
    const q = Math.min(1, (pi0 * m * p[i]) / (r + 1));
    if (q < running) running = q;
    out[i] = running;
  }
  return out;
}

/**
 * Storey's estimate of the fraction of true null hypotheses,
 * π₀(λ) = #{p > λ} / ((1 − λ) m), capped at 1. λ = 0.5 is Storey & Tibshirani's
 * fixed choice; with p-values from a permutation null the discreteness matters
 * little at that λ.
 */
export function storeyPi0(p: ArrayLike<number>, lambda = 0.5): number {
  if (!(lambda > 0 && lambda < 1)) throw new RangeError(`lambda must lie in (0, 1), got ${lambda}`);
  let m = 0;
  let above = 0;
  for (let i = 0; i < p.length; i++) {
    if (Number.isNaN(p[i])) continue;
    m++;
    if (p[i] > lambda) above++;
  }
  if (m === 0) return 1;
  // One more than counted keeps π₀ > 0 (Storey's finite-sample correction).
  return Math.min(1, (above + 1) / ((1 - lambda) * m));
}

/**
 * The permutation count B at which a p-value (1 + #null ≥ obs)/(B + 1) can
 * reach the strictest BH threshold α/m of m tests: 1/(B+1) ≤ α/m.
 */
export function permutationsForFdr(m: number, alpha: number): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must lie in (0, 1), got ${alpha}`);
  if (!(m >= 1)) return 0;
  return Math.ceil(m / alpha) - 1;
}
