/**
 * Deletion curves (the paper's proposed pruning experiment, §8): channels
 * are removed by mean-ablation in a measure's order and the class score and
 * accuracy are read at fixed fractions removed.
 *
 *  - top-first ("deletion"): the channels the measure ranks highest go first;
 *    a measure that finds what matters makes this curve fall fastest, so a
 *    smaller area under it is better;
 *  - bottom-first ("insertion", read right to left): the lowest-ranked go
 *    first, so the curve stays high while the kept top channels carry the
 *    score; a larger area is better.
 * Random orders (seeded permutations) give the band any ranking should beat:
 * pointwise 5 %, 50 % and 95 % quantiles, and the same quantiles of their areas.
 *
 * Each point has the mean target logit, the accuracy, and the root-mean-square
 * change of the target logit per image from the unedited network (the mean
 * can stay put where the network above acts linearly: see measures.ts).
 * Areas are trapezoids over the fraction removed (0..1): the mean of each
 * over the removal schedule. For the RMS a larger top-first area is better.
 */
import { Rng } from '../../pcace/random';
import { quantile } from '../../pcace/stats';
import type { LayerEditor } from '../../models/layer-edit';
import { rmsDiff, summarise, type Summary, type Targets } from './measures';

/**
 * What the curves remove channels from: `channels` removable channels (one
 * layer's, or every analysed layer's in a row for the network-wide curves)
 * and a run of the network with a set of them mean-ablated.
 */
export interface ChannelRemover {
  channels: number;
  classes: number;
  /** Logits [images, classes] with the channels `removed` (sorted indices) replaced by their mean maps. */
  runRemoved(removed: readonly number[]): Promise<Float32Array>;
}

/** One layer's channels, removed through its LayerEditor. */
export function layerRemover(editor: LayerEditor): ChannelRemover {
  const C = editor.channels;
  const P = editor.positions;
  return {
    channels: C,
    classes: editor.classes,
    runRemoved(removed) {
      const mask = new Float32Array(C).fill(1);
      const fill = new Float32Array(C * P);
      for (const c of removed) {
        mask[c] = 0;
        fill.set(editor.meanMaps.subarray(c * P, (c + 1) * P), c * P);
      }
      return editor.run(mask, fill);
    },
  };
}

type Point = Summary & { rms: number };

/** The fractions removed at which every curve is read (0 and 1 are shared by all orders). */
export const CURVE_FRACTIONS = [0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

export type Direction = 'top' | 'bottom';

export interface DeletionCurve {
  /** The measure whose order was followed (a key of the channel results). */
  measure: string;
  direction: Direction;
  score: number[];
  accuracy: number[] | null;
  rms: number[];
  auc_score: number;
  auc_accuracy: number | null;
  auc_rms: number;
}

export interface Band {
  q05: number[];
  q50: number[];
  q95: number[];
}

export interface RandomBand {
  orders: number;
  score: Band;
  accuracy: Band | null;
  rms: Band;
  auc_score: { q05: number; q50: number; q95: number };
  auc_accuracy: { q05: number; q50: number; q95: number } | null;
  auc_rms: { q05: number; q50: number; q95: number };
}

export interface LayerCurves {
  /** How channels are removed: replaced by their mean map over the images. */
  removal: 'mean';
  fractions: number[];
  baseline: Summary;
  curves: DeletionCurve[];
  random: RandomBand | null;
}

/** Trapezoid area of y over x. */
export function area(x: readonly number[], y: readonly number[]): number {
  let s = 0;
  for (let i = 1; i < x.length; i++) s += ((x[i] - x[i - 1]) * (y[i] + y[i - 1])) / 2;
  return s;
}

/** Channels in the order a measure puts them, highest first (NaN last, ties by index). */
export function orderOf(values: ArrayLike<number>, direction: Direction): number[] {
  const key = (i: number) => (Number.isFinite(values[i]) ? values[i] : -Infinity);
  const idx = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => key(b) - key(a) || a - b);
  return direction === 'top' ? idx : idx.reverse();
}

/** Edited runs deletionCurves makes at most (identical removal sets are run once). */
export function curveRuns(measures: number, randomOrders: number): number {
  const interior = CURVE_FRACTIONS.length - 2;
  return 2 + interior * (2 * measures + randomOrders);
}

export interface CurveOptions {
  randomOrders: number;
  seed: number;
  onRun?: () => void;
  shouldStop?: () => boolean;
}

export async function deletionCurves(
  remover: ChannelRemover,
  t: Targets,
  measures: { key: string; values: ArrayLike<number> }[],
  options: CurveOptions,
): Promise<LayerCurves> {
  const C = remover.channels;
  const seen = new Map<string, Point>();
  let unedited: Float32Array | null = null;
  // The set removed at each fraction, run once whatever order reached it.
  const at = async (order: readonly number[], f: number): Promise<Point> => {
    const removed = order.slice(0, Math.round(f * C)).sort((a, b) => a - b);
    const key = removed.join(',');
    const hit = seen.get(key);
    if (hit) return hit;
    if (options.shouldStop?.()) throw new Error('deletion curves stopped');
    const logits = await remover.runRemoved(removed);
    unedited ??= logits;
    const s = { ...summarise(logits, remover.classes, t), rms: rmsDiff(logits, unedited, remover.classes, t.target) };
    options.onRun?.();
    seen.set(key, s);
    return s;
  };
  const trace = async (order: readonly number[]) => {
    const points: Point[] = [];
    for (const f of CURVE_FRACTIONS) points.push(await at(order, f));
    return { score: points.map((p) => p.score), accuracy: t.labels ? points.map((p) => p.accuracy!) : null, rms: points.map((p) => p.rms) };
  };
  // First: the unedited run every RMS is measured from.
  const { rms: _zero, ...baseline } = await at([], 0);
  const curves: DeletionCurve[] = [];
  for (const m of measures) {
    for (const direction of ['top', 'bottom'] as const) {
      const { score, accuracy, rms } = await trace(orderOf(m.values, direction));
      curves.push({
        measure: m.key,
        direction,
        score,
        accuracy,
        rms,
        auc_score: area(CURVE_FRACTIONS, score),
        auc_accuracy: accuracy ? area(CURVE_FRACTIONS, accuracy) : null,
        auc_rms: area(CURVE_FRACTIONS, rms),
      });
    }
  }
  let random: RandomBand | null = null;
  if (options.randomOrders > 0) {
    const rng = new Rng(options.seed * 1_000_003 + 17);
    const scores: number[][] = [];
    const accs: number[][] = [];
    const rmss: number[][] = [];
    for (let r = 0; r < options.randomOrders; r++) {
      const perm = Array.from({ length: C }, (_, i) => i);
      for (let i = C - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [perm[i], perm[j]] = [perm[j], perm[i]];
      }
      const tr = await trace(perm);
      scores.push(tr.score);
      rmss.push(tr.rms);
      if (tr.accuracy) accs.push(tr.accuracy);
    }
    random = {
      orders: options.randomOrders,
      score: band(scores),
      accuracy: accs.length ? band(accs) : null,
      rms: band(rmss),
      auc_score: quantiles(scores.map((s) => area(CURVE_FRACTIONS, s))),
      auc_accuracy: accs.length ? quantiles(accs.map((s) => area(CURVE_FRACTIONS, s))) : null,
      auc_rms: quantiles(rmss.map((s) => area(CURVE_FRACTIONS, s))),
    };
  }
  return { removal: 'mean', fractions: CURVE_FRACTIONS, baseline, curves, random };
}

function quantiles(values: number[]): { q05: number; q50: number; q95: number } {
  const s = Float64Array.from(values).sort();
  return { q05: quantile(s, 0.05), q50: quantile(s, 0.5), q95: quantile(s, 0.95) };
}

function band(rows: number[][]): Band {
  const cols = CURVE_FRACTIONS.map((_, i) => quantiles(rows.map((r) => r[i])));
  return { q05: cols.map((c) => c.q05), q50: cols.map((c) => c.q50), q95: cols.map((c) => c.q95) };
}
