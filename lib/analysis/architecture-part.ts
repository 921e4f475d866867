/**
 * One analysis' part of the architectures comparison: every layer's sorted
 * scores, its box, its verdict counts and the network's summary. It depends on
 * the analysis and the score field alone, never on the analysis it is compared
 * with, so a completed analysis' part is computed once (lib/queue/view-parts.ts)
 * and the view only joins two parts.
 */
import { quantile } from '../pcace/stats';
import { ruleShort, type VerdictRule } from '../pcace/verdicts';

/** A stored per-channel statistic a comparison can rank by (ChannelResult column names). */
export type ScoreField = 'score_crossfit' | 'score_multiple' | 'score_pc1' | 'z_score';
export const SCORE_FIELDS: readonly ScoreField[] = ['score_crossfit', 'score_multiple', 'score_pc1', 'z_score'];

/** One value per layer or channel, null where there is none. */
export type Series = (number | null)[];

/**
 * Box-plot statistics per layer (parallel arrays; null for a layer without
 * scores). `lo`/`hi` are the whisker ends: the most extreme scores within
 * 1.5 IQR of the box.
 */
export type LayerBoxes = Record<'min' | 'q1' | 'median' | 'q3' | 'max' | 'lo' | 'hi', Series>;

export interface ArchitecturePart {
  layers: {
    name: string[];
    /** Position among the model's conv layers (0-based). */
    index: number[];
    /** (index + 1) / conv layers of the model: 1 = the last conv layer. */
    depth: number[];
    n: number[];
    /**
     * Channels with a verdict (their layer has a null and a verdict rule), and
     * those that beat noise under it (q < α, BH within the layer).
     */
    withVerdict: number[];
    beatNoise: number[];
    /** Each layer's verdict rule in words; null: not calibrated. */
    rule: (string | null)[];
  } & LayerBoxes;
  /** All channels, layer after layer (n[i] each), by score descending within a layer. */
  channel: number[];
  score: (number | null)[];
  /** Each channel's stored verdict (same order): true beats noise, false does not, null: its layer is not calibrated. */
  beats: (boolean | null)[];
  summary: {
    layers: number;
    channels: number;
    median: number | null;
    max: number | null;
    /** Depth of the layer holding the maximum. */
    maxDepth: number | null;
    withVerdict: number;
    /** Fraction of channels that beat noise among those with a verdict; null when no layer is calibrated. */
    beatNoise: number | null;
    /** The verdict rule of the first calibrated layer (the rule is the analysis' own: statistic, null, BH, α). */
    rule: string | null;
    /** That rule in a legend's few words ("q < 0.05, BH per layer"). */
    ruleShort: string | null;
  };
}

/** One stored layer: channels and scores sorted by score descending (NULLs last), and its verdict counts. */
export interface PartLayerRow {
  index: number;
  name: string;
  ch: number[];
  sc: (number | null)[];
  /** Each channel's verdict in the same order; null without one. */
  bn: (boolean | null)[];
  /** Channels with a verdict, and those beating noise. */
  nv: number;
  beats: number;
  /** The layer's verdict rule; null: not calibrated. */
  rule: VerdictRule | null;
}

/** Scores live in [-1, 1] (z-scores a little wider): 6 decimals is exact for display and CSV. */
export const r6 = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : Math.round(v * 1e6) / 1e6);

/**
 * The part of an analysis whose model has `layerCount` conv layers, from its
 * layers in model order; `scored` counts the channels with a finite score (0
 * with layers present: the analysis has no such score).
 */
export function architecturePart(rows: PartLayerRow[], layerCount: number): { part: ArchitecturePart; scored: number } {
  // Depth is relative to the model's conv layers, so a partial analysis still sits where its layers are.
  const count = Math.max(layerCount, ...rows.map((r) => r.index + 1), 1);
  const boxes: LayerBoxes = { min: [], q1: [], median: [], q3: [], max: [], lo: [], hi: [] };
  const channel: number[] = [];
  const score: (number | null)[] = [];
  const verdicts: (boolean | null)[] = [];
  const allScores: number[] = [];
  let scored = 0;
  let best: { v: number; depth: number } | null = null;
  for (const r of rows) {
    const values: number[] = [];
    for (let i = 0; i < r.ch.length; i++) {
      channel.push(r.ch[i]);
      verdicts.push(r.bn[i] ?? null);
      const v = r.sc[i];
      score.push(r6(v));
      if (v !== null && Number.isFinite(v)) values.push(v);
    }
    scored += values.length;
    // Scores arrive sorted descending, NULLs last: ascending order is the reverse.
    values.reverse();
    for (const v of values) allScores.push(v);
    const b = box(values);
    for (const k of Object.keys(boxes) as (keyof LayerBoxes)[]) boxes[k].push(b ? r6(b[k]) : null);
    if (b && (best === null || b.max > best.v)) best = { v: b.max, depth: (r.index + 1) / count };
  }
  allScores.sort((x, y) => x - y);
  // Verdicts are the stored ones (q < α under the layer's rule); uncalibrated layers count in neither number.
  const withVerdict = rows.reduce((s, r) => s + r.nv, 0);
  const beats = rows.reduce((s, r) => s + r.beats, 0);
  const firstRule = rows.find((r) => r.rule !== null)?.rule ?? null;
  const part: ArchitecturePart = {
    layers: {
      name: rows.map((r) => r.name),
      index: rows.map((r) => r.index),
      depth: rows.map((r) => r6((r.index + 1) / count)!),
      n: rows.map((r) => r.ch.length),
      withVerdict: rows.map((r) => r.nv),
      beatNoise: rows.map((r) => r.beats),
      rule: rows.map((r) => r.rule?.text ?? null),
      ...boxes,
    },
    channel,
    score,
    beats: verdicts,
    summary: {
      layers: rows.length,
      channels: channel.length,
      median: allScores.length ? r6(quantile(allScores, 0.5)) : null,
      max: best ? r6(best.v) : null,
      maxDepth: best ? r6(best.depth) : null,
      withVerdict,
      beatNoise: withVerdict > 0 ? r6(beats / withVerdict) : null,
      rule: firstRule?.text ?? null,
      ruleShort: firstRule ? ruleShort(firstRule) : null,
    },
  };
  return { part, scored };
}

/** Tukey box of ascending values. */
function box(sorted: number[]): Record<keyof LayerBoxes, number> | null {
  if (sorted.length === 0) return null;
  const q1 = quantile(sorted, 0.25);
  const q3 = quantile(sorted, 0.75);
  const reach = 1.5 * (q3 - q1);
  const lo = sorted.find((v) => v >= q1 - reach) ?? sorted[0];
  let hi = sorted[0];
  for (const v of sorted) if (v <= q3 + reach) hi = v;
  return { min: sorted[0], q1, median: quantile(sorted, 0.5), q3, max: sorted[sorted.length - 1], lo, hi };
}
