/**
 * Layer-wide views of channel scores: ranks, bootstrap rank intervals and rank
 * stability across the number of components. Per-channel work is split from the
 * cross-channel summary so callers can spread channels over threads.
 */
import { aceCorrelations } from './correlations';
import { ace, type AceFlavour } from './ace/index';
import { crossFittedScore } from './calibration';
import { channelPca, type ComponentsSpec } from './pca';
import { Rng } from './random';
import { rankDescending, spearman, type SpearmanResult } from './ranking';
import { quantile } from './stats';
import type { RankingScore } from './score';

/** Copies channel c of an NCHW activation tensor into an images × positions matrix. */
export function channelMaps(
  nchw: ArrayLike<number>,
  n: number,
  channels: number,
  positions: number,
  c: number,
  out: Float64Array | Float32Array = new Float64Array(n * positions),
): Float64Array | Float32Array {
  for (let i = 0; i < n; i++) {
    const src = (i * channels + c) * positions;
    const dst = i * positions;
    for (let j = 0; j < positions; j++) out[dst + j] = nchw[src + j];
  }
  return out;
}

/** The raw statistic bootstrap replicates recompute (a z-score needs a null per replicate). */
export function bootstrapStatistic(by: RankingScore): 'pc1' | 'multiple' | 'crossfit' {
  return by === 'z_pc1' ? 'pc1' : by === 'z_multiple' ? 'multiple' : by;
}

/** Replicate b's draw of images: a function of (seed, n, b) only, so every channel sees the same draws and ranks compare replicate by replicate. */
export function bootstrapIndices(n: number, seed: number, replicate: number): Int32Array {
  const rng = new Rng((seed * 1000003 + replicate * 7919 + 17) >>> 0);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = rng.int(n);
  return idx;
}

export interface RankInterval {
  p05: number;
  median: number;
  p95: number;
}

/** 5–95 % rank interval per channel from per-channel bootstrap statistics (channels × replicates). */
export function rankIntervals(perChannel: Float64Array[]): RankInterval[] {
  const channels = perChannel.length;
  if (channels === 0) return [];
  const replicates = perChannel[0].length;
  const ranksByChannel = perChannel.map(() => new Float64Array(replicates));
  const column = new Float64Array(channels);
  for (let b = 0; b < replicates; b++) {
    for (let c = 0; c < channels; c++) column[c] = perChannel[c][b];
    const r = rankDescending(column);
    for (let c = 0; c < channels; c++) ranksByChannel[c][b] = r[c];
  }
  return ranksByChannel.map((r) => {
    r.sort();
    return { p05: quantile(r, 0.05), median: quantile(r, 0.5), p95: quantile(r, 0.95) };
  });
}

/** One channel's statistic at several numbers of components (no permutations). */
export function scoreAcrossComponents(
  maps: ArrayLike<number>,
  n: number,
  positions: number,
  y: Float64Array,
  ks: readonly ComponentsSpec[],
  flavour: AceFlavour,
  by: RankingScore,
  seed: number,
): Float64Array {
  const stat = bootstrapStatistic(by);
  const out = new Float64Array(ks.length);
  ks.forEach((k, i) => {
    const pca = channelPca(maps, n, positions, k);
    if (pca.scores.length === 0) return;
    if (stat === 'crossfit') {
      out[i] = crossFittedScore(pca.scores, y, flavour, 1, seed);
      return;
    }
    const fit = ace(flavour, pca.scores, y);
    const c = aceCorrelations(fit.tx, fit.ty);
    out[i] = stat === 'pc1' ? c.pc1 : c.multiple;
  });
  return out;
}

export interface ComponentStability {
  ks: ComponentsSpec[];
  /** Spearman between the layer's rankings at ks[i] and ks[j]. */
  spearman: SpearmanResult[][];
  /** Per channel: its rank at each k. */
  ranks: Float64Array[];
  /** Per channel: max rank − min rank across k. */
  rankRange: Float64Array;
}

/** Agreement of a layer's rankings across numbers of components (channels × ks scores). */
export function componentStability(ks: ComponentsSpec[], perChannel: Float64Array[]): ComponentStability {
  const channels = perChannel.length;
  const ranksByK = ks.map((_, i) => rankDescending(perChannel.map((s) => s[i])));
  const matrix = ks.map((_, i) => ks.map((__, j) => spearman(ranksByK[i].map((r) => -r), ranksByK[j].map((r) => -r))));
  const ranks = Array.from({ length: channels }, (_, c) => Float64Array.from(ranksByK.map((r) => r[c])));
  const rankRange = Float64Array.from(ranks.map((r) => Math.max(...r) - Math.min(...r)));
  return { ks, spearman: matrix, ranks, rankRange };
}

