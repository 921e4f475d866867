/** How much of a layer the sanity checks score (pure: the cost estimate prices it, lib/analysis/sanity.ts runs it). */

/** Channels a layer's randomisation checks rescore: ≥ 16, an eighth of a big layer, never more than the layer. */
export function sanityChannelCount(channels: number): number {
  return Math.min(channels, Math.max(16, Math.ceil(channels / 8)));
}

/** Random filters in a layer's baseline: ≥ 16 (p-values below 0.05 need some), an eighth of a big layer. */
export function randomFilterCount(channels: number): number {
  return Math.max(16, Math.ceil(channels / 8));
}
