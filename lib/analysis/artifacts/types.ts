/**
 * What a channel artifact is and what it holds, shared by the worker that
 * computes it, the server that serves it and the pages that show it (no
 * Node-only imports here, so client components can use the types).
 */

export const ARTIFACT_KINDS = ['maps', 'gradcam', 'actmax', 'top', 'strip', 'group'] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

/** The kinds a channel page shows, in page order. */
export const CHANNEL_KINDS = ['maps', 'gradcam', 'actmax', 'top'] as const satisfies readonly ArtifactKind[];

/**
 * Kinds that describe the whole layer, stored once with channel -1: Grad-CAM
 * weighs every channel of the layer, so every channel page shares one map; a
 * group names its channels in its variant.
 */
export const LAYER_KINDS: readonly ArtifactKind[] = ['gradcam', 'strip', 'group'];

export const ARTIFACT_LABELS: Record<ArtifactKind, string> = {
  maps: 'Activation maps',
  gradcam: 'Grad-CAM',
  actmax: 'Activation maximisation',
  top: 'Top-activating images',
  strip: 'Layer strip',
  group: 'Group PCACE',
};

/** Sample images shown by 'maps' and 'gradcam'; top-activating images shown by 'top'; channels each side of the strip. */
export const MAP_SAMPLES = 6;
export const TOP_IMAGES = 9;
export const STRIP_EACH_SIDE = 5;

export interface SampleRef {
  /**
   * Position in the sample the artifact drew from: the analysis' own (same
   * dataset, n and seed), or for 'top' with details.allClasses the same-sized
   * sample across all the dataset's classes.
   */
  index: number;
  id: string;
  label?: string;
}

export interface ColourScale {
  /** 'diverging': RdBu centred on 0 (conv outputs before ReLU); 'heat': 0..1 attribution; 'image': pixels. */
  map: 'diverging' | 'heat' | 'image';
  lo: number;
  hi: number;
}

export interface ArtifactPicture {
  /** PNG file name inside the artifact's folder. */
  file: string;
  role: 'input' | 'map' | 'gradcam' | 'cam' | 'actmax';
  width: number;
  height: number;
  /** The values behind the colours at the layer's resolution (at most 64×64, block means beyond), for tooltips. */
  grid?: { height: number; width: number; values: number[] };
  scale?: ColourScale;
}

export interface ArtifactRow {
  title: string;
  sample?: SampleRef;
  /** Strip rows: which channel, its rank, and whether it is among the top or the bottom. */
  channel?: number;
  rank?: number;
  group?: 'top' | 'bottom';
  pictures: ArtifactPicture[];
  stats: Record<string, number | null>;
}

/**
 * A group's variant: its channels ascending, comma-separated ("3,17,42"), so
 * one set of channels is one row and is computed once whatever order it was
 * picked in.
 */
export function groupVariant(channels: readonly number[]): string {
  return [...new Set(channels)].sort((a, b) => a - b).join(',');
}

/** The channels of a group's variant (what groupVariant wrote). */
export function groupChannels(variant: string): number[] {
  return variant === '' ? [] : variant.split(',').map(Number);
}

/** One member's own score in a group artifact, on the same splits as the group's. */
export interface GroupMemberScore {
  channel: number;
  score_crossfit: number | null;
  score_multiple: number;
  /** The member's maps are constant: it has no components and adds nothing. */
  constant: boolean;
}

/** details of a 'group' artifact. */
export interface GroupArtifactDetails {
  channels: number[];
  images: number;
  /** Components each member is reduced to (the analysis' k when it is a number, else 5). */
  components_per_member: number;
  /** Predictors ACE saw (the members' kept components). */
  components: number;
  score_crossfit: number | null;
  crossfit_mcse: number | null;
  crossfit_repeats: number | null;
  score_multiple: number;
  rsq: number;
  members: GroupMemberScore[];
  /** The member with the highest own score (cross-fitted when there is one). */
  best_single: { channel: number; score: number } | null;
  /** The group's score minus its best member's: what the others add. */
  gain: number | null;
  settings: { flavour: string; crossfit_repeats: number; crossfit_cap: number; seed: number };
}

/** Stored in ChannelArtifact.values and served as the artifact's JSON export. */
export interface ArtifactValues {
  kind: ArtifactKind;
  layer: string;
  /** -1 for layer artifacts. */
  channel: number;
  /** Layer map size [height, width] and the model input size [C, H, W]. */
  mapSize: [number, number];
  inputShape: number[];
  rows: ArtifactRow[];
  /** Things the reader should know (CAM not available and why, fewer images than asked, ...). */
  notes: string[];
  /** Per kind: class index explained, act-max trace, histogram of mean activations, ... */
  details: Record<string, unknown>;
}
