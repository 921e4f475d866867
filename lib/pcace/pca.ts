/**
 * PCA of one channel's activation maps, as PCACE needs it: every map position is
 * standardised across images (population std, the published StandardScaler),
 * positions with no variance are dropped, and the top components' scores per
 * image become ACE's predictors.
 */
import { lanczosTopK } from './linalg/lanczos';
import { PcaceInputError } from './validate';

/**
 * How many components to keep:
 * - an integer k ≥ 1;
 * - 'half': half the positions (the paper's text) — capped at n − 1, since n
 *   standardised images span at most n − 1 dimensions;
 * - { varianceFraction: f }: the fewest components explaining ≥ f of the variance.
 */
export type ComponentsSpec = number | 'half' | { varianceFraction: number };

export interface PcaResult {
  /** Component scores, one Float64Array of length n per component. */
  scores: Float64Array[];
  /** Variance of each component divided by total standardised variance. */
  explainedVarianceRatio: Float64Array;
  /** Positions that had non-zero variance. */
  positionsUsed: number;
  /** Components asked for (after resolving 'half' / fraction), before capping. */
  componentsRequested: number;
  warnings: string[];
}

/** One channel's maps after standardisation: the kept (varying) positions, row-major n × p, float64. */
export interface StandardisedMaps {
  x: Float64Array;
  n: number;
  p: number;
}

/**
 * @param maps n images × positions, row-major (image i at maps[i*positions..])
 */
export function channelPca(
  maps: ArrayLike<number>,
  n: number,
  positions: number,
  spec: ComponentsSpec,
): PcaResult {
  const std = standardiseMaps(maps, n, positions);
  return channelPcaOf(std, positions, spec, gramNeeded(std) ? gramMatrix(std.x, n, std.p) : undefined);
}

/**
 * True when PCA works from the n × n Gram matrix XXᵀ (more varying positions
 * than images): callers with a faster matrix product compute it themselves and
 * pass it to channelPcaOf.
 */
export function gramNeeded(std: StandardisedMaps): boolean {
  return std.p > std.n;
}

/**
 * PCA of standardised maps (standardiseMaps). `gram` is XXᵀ of std.x, n × n
 * row-major, when gramNeeded(std); omitted, it is computed here.
 * @param positions the channel's map positions before constant ones were dropped ('half' counts them)
 */
export function channelPcaOf(std: StandardisedMaps, positions: number, spec: ComponentsSpec, gram?: Float64Array): PcaResult {
  const { x, n, p } = std;
  const warnings: string[] = [];
  if (p === 0) {
    return { scores: [], explainedVarianceRatio: new Float64Array(0), positionsUsed: 0, componentsRequested: 0, warnings: ['constant channel: no map position varies across images'] };
  }
  const maxRank = Math.min(p, n - 1);
  const requested = resolveComponents(spec, positions, p, n, warnings);
  const fractionMode = typeof spec === 'object';
  let k = fractionMode ? maxRank : Math.min(requested, maxRank);
  if (!fractionMode && requested > maxRank) {
    warnings.push(`${requested} components requested but ${n} images and ${p} varying positions allow at most ${maxRank}; using ${maxRank}`);
  }

  // Positions ≤ images: Lanczos on XᵀX applied row by row (each row read once
  // per step, while in cache). Positions > images (large maps): the n×n Gram
  // matrix XXᵀ once, then Lanczos on it — steps become O(n²) instead of O(np),
  // and on flat spectra (noise-dominated maps) Lanczos needs 100+ steps.
  const total = n * p; // each standardised column has sum of squares n
  const usePositions = !gramNeeded(std);
  if (!usePositions && gram && gram.length !== n * n) throw new PcaceInputError(`Gram matrix has ${gram.length} values, expected ${n}×${n}`);
  const g = usePositions ? null : gram ?? gramMatrix(x, n, p);
  const apply = g
    ? (v: Float64Array, out: Float64Array) => mulSymmetric(g, n, v, out)
    : (v: Float64Array, out: Float64Array) => mulXtXv(x, n, p, v, out);
  const eig = lanczosTopK(usePositions ? p : n, k, apply);

  if (fractionMode) {
    const f = (spec as { varianceFraction: number }).varianceFraction;
    let acc = 0;
    let chosen = eig.values.length;
    for (let i = 0; i < eig.values.length; i++) {
      acc += eig.values[i] / total;
      if (acc >= f - 1e-12) {
        chosen = i + 1;
        break;
      }
    }
    k = chosen;
  }
  if (eig.values.length < k) {
    warnings.push(`only ${eig.values.length} components carry variance (rank-deficient maps); using ${eig.values.length}`);
    k = eig.values.length;
  }

  const scores: Float64Array[] = [];
  const ratio = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    const s = new Float64Array(n);
    if (usePositions) {
      mulXv(x, n, p, eig.vectors[c], s);
    } else {
      // Gram eigenvector u with eigenvalue λ: the scores are u·√λ.
      const sv = Math.sqrt(eig.values[c]);
      const u = eig.vectors[c];
      for (let i = 0; i < n; i++) s[i] = u[i] * sv;
    }
    orientSign(s);
    scores.push(s);
    ratio[c] = eig.values[c] / total;
  }
  return { scores, explainedVarianceRatio: ratio, positionsUsed: p, componentsRequested: requested, warnings };
}

/** Where image i's map starts in a larger buffer: offset + i·rowStride (a channel of an NCHW tensor). */
export interface MapsLayout {
  offset: number;
  rowStride: number;
}

/** Standardised maps with the raw values' sum and maximum, in image order (the channel's mean and max activation). */
export interface StandardisedChannel extends StandardisedMaps {
  sum: number;
  max: number;
}

/**
 * Centres and scales each position across images (population std) and drops
 * the positions that do not vary; returns the kept columns, row-major n × p.
 * The maps are read row by row with one accumulator per position: each
 * position's sums still run over images in order (the same values as a
 * column-by-column loop), without striding through memory a row apart; each
 * row is read through its own view, which V8 indexes without the offset
 * arithmetic and bounds checks of the whole buffer (about 2× faster at 224²).
 * With `layout`, image i's map is maps[offset + i·rowStride ..] (one channel
 * read in place from an NCHW tensor, no copy). With `into` (at least n ×
 * positions values), x is written there instead of a new allocation.
 */
export function standardiseMaps(maps: ArrayLike<number>, n: number, positions: number, layout?: MapsLayout, into?: Float64Array): StandardisedChannel {
  const offset = layout?.offset ?? 0;
  const stride = layout?.rowStride ?? positions;
  if (layout ? offset < 0 || stride < positions || offset + (n - 1) * stride + positions > maps.length : maps.length !== n * positions) {
    throw new PcaceInputError(`maps has ${maps.length} values, expected ${n} images × ${positions} positions`);
  }
  if (n < 3) throw new PcaceInputError(`PCA needs at least 3 images, got ${n}`);
  const values = ArrayBuffer.isView(maps) ? (maps as Float32Array | Float64Array) : Float64Array.from(maps);
  const row = (i: number) => values.subarray(offset + i * stride, offset + i * stride + positions);
  // The column sums, and in the same pass the sum and maximum of every value in image order.
  const sum = new Float64Array(positions);
  let total = 0;
  let max = -Infinity;
  const r0 = row(0);
  for (let j = 0; j < positions; j++) {
    const v = r0[j];
    sum[j] = v;
    total += v;
    if (v > max) max = v;
  }
  for (let i = 1; i < n; i++) {
    const r = row(i);
    for (let j = 0; j < positions; j++) {
      const v = r[j];
      sum[j] += v;
      total += v;
      if (v > max) max = v;
    }
  }
  const mean = new Float64Array(positions);
  for (let j = 0; j < positions; j++) {
    // A NaN or infinity anywhere in a column leaves its sum non-finite; only then is the input searched.
    if (!Number.isFinite(sum[j])) throwNonFinite(maps, n, positions, offset, stride);
    mean[j] = sum[j] / n;
  }
  const ss = new Float64Array(positions);
  for (let i = 0; i < n; i++) {
    const r = row(i);
    for (let j = 0; j < positions; j++) {
      const d = r[j] - mean[j];
      ss[j] += d * d;
    }
  }
  const varies = constantPositionsKnown(values) ? null : variesAcrossImages(row, n, positions);
  const keep = new Int32Array(positions);
  const means = new Float64Array(positions);
  const sds = new Float64Array(positions);
  let p = 0;
  for (let j = 0; j < positions; j++) {
    if (varies && !varies[j]) continue;
    const m = mean[j];
    const sd = Math.sqrt(ss[j] / n);
    // Rounding alone can leave a nearly constant column a tiny spread; treat
    // such columns as constant, as scikit-learn's scaler does.
    if (!(sd > Math.abs(m) * n * Number.EPSILON)) continue;
    keep[p] = j;
    means[p] = m;
    sds[p] = sd;
    p++;
  }
  // A scoring thread passes the same buffer for every channel: 120 MB per
  // channel at 224² × 300 images, which as fresh allocations pile up between
  // garbage collections.
  const x = into && into.length >= n * p ? into.subarray(0, n * p) : new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    const r = row(i);
    const out = x.subarray(i * p, (i + 1) * p);
    if (p === positions) {
      for (let c = 0; c < p; c++) out[c] = (r[c] - means[c]) / sds[c];
    } else {
      for (let c = 0; c < p; c++) out[c] = (r[keep[c]] - means[c]) / sds[c];
    }
  }
  return { x, n, p, sum: total, max };
}

/**
 * True when a position whose values are all equal always ends with sd = 0,
 * so the spread test alone drops it: float32 values. n copies of a float32 v
 * sum exactly in float64 (24 significant bits times n < 2²⁹), so the mean is v
 * and every deviation 0. Float64 values can sum inexactly (0.1 + 0.1 + 0.1)
 * and leave an equal column a tiny spread, so they are compared.
 */
function constantPositionsKnown(values: Float32Array | Float64Array): boolean {
  return values instanceof Float32Array;
}

/** Per position, 1 when some image's value differs from the first image's. */
function variesAcrossImages(row: (i: number) => Float32Array | Float64Array, n: number, positions: number): Uint8Array {
  const varies = new Uint8Array(positions);
  const first = row(0);
  for (let i = 1; i < n; i++) {
    const r = row(i);
    for (let j = 0; j < positions; j++) if (r[j] !== first[j]) varies[j] = 1;
  }
  return varies;
}

/** Names the first non-finite value in image order, as its index in the maps (n × positions) or, with a layout, in the buffer. */
function throwNonFinite(maps: ArrayLike<number>, n: number, positions: number, offset: number, stride: number): never {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < positions; j++) {
      const at = offset + i * stride + j;
      if (!Number.isFinite(maps[at])) throw new PcaceInputError(`activation maps has a non-finite value (${maps[at]}) at index ${at}`);
    }
  }
  throw new PcaceInputError('activation maps has values whose sum overflows');
}

function resolveComponents(spec: ComponentsSpec, positions: number, p: number, n: number, warnings: string[]): number {
  if (spec === 'half') {
    const half = Math.max(1, Math.floor(positions / 2));
    if (half > n - 1) warnings.push(`'half' means ${half} components, but ${n} images allow at most ${n - 1}`);
    return half;
  }
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec < 1) throw new PcaceInputError(`components must be an integer ≥ 1, 'half' or a variance fraction; got ${spec}`);
    return spec;
  }
  const f = spec.varianceFraction;
  if (!(f > 0 && f <= 1)) throw new PcaceInputError(`variance fraction must be in (0, 1], got ${f}`);
  return Math.min(p, n - 1);
}

/** The score with the largest magnitude is made positive (scikit-learn's convention). */
function orientSign(s: Float64Array): void {
  let best = 0;
  for (let i = 1; i < s.length; i++) if (Math.abs(s[i]) > Math.abs(s[best])) best = i;
  if (s[best] < 0) for (let i = 0; i < s.length; i++) s[i] = -s[i];
}

function mulXv(x: Float64Array, n: number, p: number, v: Float64Array, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = 0;
    const row = i * p;
    for (let j = 0; j < p; j++) s += x[row + j] * v[j];
    out[i] = s;
  }
}

/** out ← XᵀX v, one pass over the rows of X. */
function mulXtXv(x: Float64Array, n: number, p: number, v: Float64Array, out: Float64Array): void {
  out.fill(0);
  for (let i = 0; i < n; i++) {
    const row = i * p;
    let s = 0;
    for (let j = 0; j < p; j++) s += x[row + j] * v[j];
    for (let j = 0; j < p; j++) out[j] += x[row + j] * s;
  }
}

/** XXᵀ (n×n, row-major), four row pairs at a time so each row of X is read a quarter as often. */
export function gramMatrix(x: Float64Array, n: number, p: number): Float64Array {
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * p;
    let j = 0;
    for (; j + 3 <= i; j += 4) {
      const r0 = j * p;
      const r1 = r0 + p;
      const r2 = r1 + p;
      const r3 = r2 + p;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let c = 0; c < p; c++) {
        const v = x[ri + c];
        s0 += v * x[r0 + c];
        s1 += v * x[r1 + c];
        s2 += v * x[r2 + c];
        s3 += v * x[r3 + c];
      }
      g[i * n + j] = g[j * n + i] = s0;
      g[i * n + j + 1] = g[(j + 1) * n + i] = s1;
      g[i * n + j + 2] = g[(j + 2) * n + i] = s2;
      g[i * n + j + 3] = g[(j + 3) * n + i] = s3;
    }
    for (; j <= i; j++) {
      const rj = j * p;
      let s0 = 0;
      for (let c = 0; c < p; c++) s0 += x[ri + c] * x[rj + c];
      g[i * n + j] = g[j * n + i] = s0;
    }
  }
  return g;
}

function mulSymmetric(g: Float64Array, n: number, v: Float64Array, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = 0;
    const row = i * n;
    for (let j = 0; j < n; j++) s += g[row + j] * v[j];
    out[i] = s;
  }
}
