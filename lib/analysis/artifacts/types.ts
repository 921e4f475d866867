/**
 * What a channel artifact is and what it holds, shared by the worker that
 * computes it, the server that serves it and the pages that show it (no
 * Node-only imports here, so client components can use the types).
 */

export const ARTIFACT_KINDS = ['maps', 'gradcam', 'actmax', 'top', 'strip'] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

/** The kinds a channel page shows, in page order. */
export const CHANNEL_KINDS = ['maps', 'gradcam', 'actmax', 'top'] as const satisfies readonly ArtifactKind[];

/**
 * Kinds that describe the whole layer, stored once with channel -1: Grad-CAM
 * weighs every channel of the layer, so every channel page shares one map.
 */
export const LAYER_KINDS: readonly ArtifactKind[] = ['gradcam', 'strip'];

export const ARTIFACT_LABELS: Record<ArtifactKind, string> = {
  maps: 'Activation maps',
  gradcam: 'Grad-CAM',
  actmax: 'Activation maximisation',
  top: 'Top-activating images',
  strip: 'Layer strip',
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
