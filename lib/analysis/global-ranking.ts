/**
 * A ranking across layers (the paper's future work): PCACE scores are not
 * comparable between layers — a deep layer's input alone can predict the
 * logit, so all its channels may score high — so channels are ordered by the
 * null-standardised effect, (score − the layer's null mean) / its null sd:
 * each channel against what its own layer reaches on a shuffled response, in
 * the same units for every layer. Layers without a null (no effect) are left
 * out and named. README "Global ranking across layers" explains the choice.
 */
import type { ChannelResult } from './types';

export interface GlobalRankEntry {
  rank: number;
  layer: string;
  channel: number;
  /** Rank within its own layer. */
  layer_rank: number;
  effect: number;
  effect_ci?: [number, number];
  beats_noise?: boolean;
}

export interface GlobalRanking {
  by: 'effect';
  text: string;
  channels: GlobalRankEntry[];
  /** Layers with no effect to rank by (run without a null). */
  layers_left_out: string[];
}

export const GLOBAL_RANKING_TEXT =
  'channels of every layer ordered by the null-standardised effect, (score − layer null mean) / layer null sd: raw scores are not comparable across layers';

export function globalRanking(layers: readonly { name: string; channels: readonly ChannelResult[] }[], top?: number): GlobalRanking | null {
  const entries: Omit<GlobalRankEntry, 'rank'>[] = [];
  const left: string[] = [];
  for (const l of layers) {
    const ranked = l.channels.filter((c) => typeof c.effect === 'number' && Number.isFinite(c.effect));
    if (ranked.length === 0) {
      left.push(l.name);
      continue;
    }
    for (const c of ranked) {
      entries.push({ layer: l.name, channel: c.index, layer_rank: c.rank, effect: c.effect!, ...(c.effect_ci ? { effect_ci: c.effect_ci } : {}), ...(c.beats_noise !== undefined ? { beats_noise: c.beats_noise } : {}) });
    }
  }
  if (entries.length === 0) return null;
  entries.sort((a, b) => b.effect - a.effect || a.layer_rank - b.layer_rank || a.channel - b.channel);
  const kept = top ? entries.slice(0, top) : entries;
  return { by: 'effect', text: GLOBAL_RANKING_TEXT, channels: kept.map((e, i) => ({ rank: i + 1, ...e })), layers_left_out: left };
}
