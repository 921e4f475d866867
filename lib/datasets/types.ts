/**
 * The contract between image sources and the analysis: a dataset resolves to a
 * list of samples and hands out preprocessed NCHW float32 batches on demand,
 * so a network-wide analysis never holds all decoded images at once.
 */

/** How a model wants its input: resize, crop, scale, channel order and normalisation. */
export interface Preprocessing {
  /** Network input size. */
  width: number;
  height: number;
  /** 1 = grayscale, 3 = colour. Grayscale sources are replicated to 3 channels when needed. */
  channels: 1 | 3;
  /**
   * 'stretch': resize to width×height ignoring aspect;
   * 'resize-crop': shorter side to `resizeTo` (default the larger of width/height), then centre crop (torchvision);
   * 'pad': centre the image on a zero canvas of width×height without scaling (MNIST 28 → 32).
   */
  resize: 'stretch' | 'resize-crop' | 'pad';
  resizeTo?: number;
  /** Pixel values are divided by this first (255 → 0..1). */
  scale: number;
  /** Per-channel mean and std applied after scaling: (v − mean) / std. */
  mean: number[];
  std: number[];
  channelOrder: 'RGB' | 'BGR';
}

/** Where images come from. Paths are local files or folders. */
export type DatasetSpec =
  | { kind: 'mnist'; split: 'train' | 'test'; digit?: number; mix?: Record<string, number> }
  | { kind: 'folder'; path: string; className?: string; mix?: Record<string, number> }
  | { kind: 'zip'; path: string; className?: string; mix?: Record<string, number> }
  | { kind: 'csv'; path: string; imageRoot?: string }
  | { kind: 'npy'; path: string };

export interface DatasetSample {
  /** Stable identifier (file path inside the dataset, or `mnist:train:123`). */
  id: string;
  /** Class name, when the source has classes. */
  label?: string;
  /** Continuous target, for regression datasets (CSV). */
  target?: number;
}

export interface SkippedFile {
  file: string;
  reason: string;
}

export interface OpenDatasetOptions {
  /** How many samples to draw (all when larger than the source). */
  n: number;
  seed: number;
}

export interface OpenedDataset {
  samples: DatasetSample[];
  /** Class names present in the source, sorted. Empty for regression / npy. */
  classes: string[];
  /** Files that could not be used, with the reason (corrupt, unsupported, ...). */
  skipped: SkippedFile[];
  /**
   * Things the caller should tell the user, e.g. fewer usable images than
   * requested (all were used). Optional so older implementations still conform.
   */
  warnings?: string[];
  /**
   * Preprocessed NCHW float32 batch of samples [start, start + count).
   * `.npy` sources are already preprocessed: their shape must match and `pre` is only checked.
   */
  loadBatch(start: number, count: number, pre: Preprocessing): Promise<Float32Array>;
  close(): Promise<void>;
}
