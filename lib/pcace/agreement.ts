/**
 * Agreement between two per-channel importance measures of one layer (PCACE
 * against an ablation drop, an activation, a gradient measure): Spearman's ρ
 * and the top-k overlap, each with a bootstrap interval.
 *
 * The channels of a layer are treated as a sample from the population of
 * channels such a layer could have, which is what a reader generalises to when
 * told "PCACE agrees with ablation at ρ = 0.6". Pairs of (measure a, measure b)
 * are resampled with replacement. Spearman's interval is BCa (Efron 1987):
 * the sample ρ is biased towards 0 and skewed near ±1, where the plain
 * percentile interval under-covers. The top-k overlap is read as a quantile
 * agreement, P(b in its top q | a in its top q) with q = k/n, whose bootstrap
 * uses k = round(q·m) on each resample of m channels. Both are calibrated in
 * tests/unit/agreement.test.ts on bivariate normal channels of known
 * correlation.
 */
import { Rng } from './random';
import { quantile } from './stats';
import { spearman, topKOverlap } from './ranking';
import { normalCdf } from './pooled-null';
import { normalQuantile } from './sanity';
import { PcaceInputError } from './validate';

export interface Interval {
  estimate: number;
  lo: number;
  hi: number;
}

export interface RankAgreement {
  /** Channels both measures have (finite values). */
  n: number;
  spearman: Interval & { pValue: number };
  topK: Interval & { k: number; shared: number; expected: number; pValue: number };
  /** Bootstrap replicates and the level the intervals are for. */
  bootstrap: number;
  level: number;
}

export interface AgreementOptions {
  /** Top-k size; default max(1, round(n/10)) — the top decile. */
  k?: number;
  /** Bootstrap replicates (default 1000). */
  bootstrap?: number;
  /** Interval level (default 0.95). */
  level?: number;
  seed?: number;
}

/** Spearman and top-k overlap of a against b with bootstrap intervals; pairs with a non-finite side are left out. */
export function rankAgreement(a: ArrayLike<number>, b: ArrayLike<number>, options: AgreementOptions = {}): RankAgreement {
  if (a.length !== b.length) throw new PcaceInputError(`measures have different lengths (${a.length} vs ${b.length})`);
  const keep: number[] = [];
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i]) && Number.isFinite(b[i])) keep.push(i);
  const n = keep.length;
  if (n < 4) throw new PcaceInputError(`agreement needs at least 4 channels with both measures, got ${n}`);
  const x = Float64Array.from(keep, (i) => a[i]);
  const y = Float64Array.from(keep, (i) => b[i]);
  const B = options.bootstrap ?? 1000;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(B) || B < 50) throw new PcaceInputError(`bootstrap replicates must be an integer ≥ 50, got ${B}`);
  if (!(level > 0 && level < 1)) throw new PcaceInputError(`level must lie in (0, 1), got ${level}`);
  const k = options.k ?? Math.max(1, Math.round(n / 10));
  if (!Number.isInteger(k) || k < 1 || k > n) throw new PcaceInputError(`k must be an integer in 1..${n}, got ${k}`);
  const q = k / n;

  const rho = spearman(x, y);
  const top = topKOverlap(x, y, k);
  const rs = new ResampledRanks(x, y);
  const rng = new Rng(options.seed ?? 1);
  const rhoStar = new Float64Array(B);
  const topStar = new Float64Array(B);
  const counts = new Int32Array(n);
  for (let r = 0; r < B; r++) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[rng.int(n)]++;
    rhoStar[r] = rs.spearman(counts);
    topStar[r] = rs.topShare(counts, Math.max(1, Math.round(q * n)));
  }
  const alpha = (1 - level) / 2;
  const jack = new Float64Array(n);
  const leaveOne = new Int32Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    leaveOne[i] = 0;
    jack[i] = rs.spearman(leaveOne);
    leaveOne[i] = 1;
  }
  const [lo, hi] = bcaInterval(rho.rho, rhoStar, jack, alpha);
  const sortedTop = Float64Array.from(topStar).sort();
  return {
    n,
    spearman: { estimate: rho.rho, lo, hi, pValue: rho.pValue },
    topK: {
      k,
      shared: top.shared,
      expected: top.expected,
      pValue: top.pValue,
      estimate: top.fraction,
      lo: quantile(sortedTop, alpha),
      hi: quantile(sortedTop, 1 - alpha),
    },
    bootstrap: B,
    level,
  };
}

/**
 * Ranks of a resample in O(n): a resample is a multiplicity per original
 * channel, and its order is the originals' order (sorted once), so each
 * copy's average rank follows from a walk down that order. Spearman is then
 * the multiplicity-weighted Pearson correlation of those ranks.
 */
class ResampledRanks {
  private readonly orderA: Int32Array;
  private readonly orderB: Int32Array;
  private readonly ra: Float64Array;
  private readonly rb: Float64Array;
  private readonly takenA: Int32Array;

  constructor(
    private readonly a: Float64Array,
    private readonly b: Float64Array,
  ) {
    const n = a.length;
    const desc = (s: Float64Array) => Int32Array.from({ length: n }, (_, i) => i).sort((u, v) => s[v] - s[u] || u - v);
    this.orderA = desc(a);
    this.orderB = desc(b);
    this.ra = new Float64Array(n);
    this.rb = new Float64Array(n);
    this.takenA = new Int32Array(n);
  }

  private ranks(values: Float64Array, order: Int32Array, counts: Int32Array, out: Float64Array): void {
    let done = 0;
    for (let s = 0; s < order.length; ) {
      let e = s;
      let group = 0;
      while (e < order.length && values[order[e]] === values[order[s]]) group += counts[order[e++]];
      const avg = done + (group + 1) / 2;
      for (let i = s; i < e; i++) out[order[i]] = avg;
      done += group;
      s = e;
    }
  }

  spearman(counts: Int32Array): number {
    this.ranks(this.a, this.orderA, counts, this.ra);
    this.ranks(this.b, this.orderB, counts, this.rb);
    let w = 0;
    let ma = 0;
    let mb = 0;
    for (let i = 0; i < counts.length; i++) {
      w += counts[i];
      ma += counts[i] * this.ra[i];
      mb += counts[i] * this.rb[i];
    }
    ma /= w;
    mb /= w;
    let sab = 0;
    let saa = 0;
    let sbb = 0;
    for (let i = 0; i < counts.length; i++) {
      if (!counts[i]) continue;
      const da = this.ra[i] - ma;
      const db = this.rb[i] - mb;
      sab += counts[i] * da * db;
      saa += counts[i] * da * da;
      sbb += counts[i] * db * db;
    }
    return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
  }

  /** Share of the k best copies by a that are among the k best by b (copies of one channel count each). */
  topShare(counts: Int32Array, k: number): number {
    this.takenA.fill(0);
    let left = k;
    for (let i = 0; i < this.orderA.length && left > 0; i++) {
      const c = this.orderA[i];
      const t = Math.min(left, counts[c]);
      this.takenA[c] = t;
      left -= t;
    }
    left = k;
    let shared = 0;
    for (let i = 0; i < this.orderB.length && left > 0; i++) {
      const c = this.orderB[i];
      const t = Math.min(left, counts[c]);
      shared += Math.min(t, this.takenA[c]);
      left -= t;
    }
    return shared / k;
  }
}

/**
 * Bias-corrected and accelerated percentile interval: z0 from the share of
 * replicates below the estimate, the acceleration from the jackknife's
 * skewness. Falls back to the plain percentiles when every replicate sits on
 * one side (z0 infinite), which happens only at |ρ| = 1.
 */
export function bcaInterval(estimate: number, replicates: Float64Array, jack: Float64Array, alpha: number): [number, number] {
  const sorted = Float64Array.from(replicates).sort();
  const B = sorted.length;
  let below = 0;
  let ties = 0;
  for (const v of sorted) {
    if (v < estimate) below++;
    else if (v === estimate) ties++;
  }
  const share = (below + ties / 2) / B;
  if (share <= 0 || share >= 1) return [quantile(sorted, alpha), quantile(sorted, 1 - alpha)];
  const z0 = normalQuantile(share);
  const jm = jack.reduce((s, v) => s + v, 0) / jack.length;
  let num = 0;
  let den = 0;
  for (const v of jack) {
    const d = jm - v;
    num += d * d * d;
    den += d * d;
  }
  const acc = den > 0 ? num / (6 * den ** 1.5) : 0;
  const adjust = (z: number) => normalCdf(z0 + (z0 + z) / (1 - acc * (z0 + z)));
  return [quantile(sorted, adjust(normalQuantile(alpha))), quantile(sorted, adjust(normalQuantile(1 - alpha)))];
}

/** Population Spearman ρ of a bivariate normal with Pearson ρ (Pearson 1907): (6/π)·asin(ρ/2). */
export function bivariateNormalSpearman(rho: number): number {
  return (6 / Math.PI) * Math.asin(rho / 2);
}
