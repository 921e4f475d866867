/**
 * Memory plan of a network-wide analysis. Activations of one layer for n images
 * can exceed the machine (VGG-16 features.0: 64 × 224² × 300 × 4 B = 3.9 GB),
 * so layers are grouped into forward passes whose captured activations fit a
 * budget. A layer too big on its own is captured in one pass anyway, its
 * channel chunks written to temporary files and scored one chunk at a time:
 * rerunning the network per chunk cost VGG-16 (224×224, 300 images) 27 forward
 * passes and 19 minutes; writing and reading 3.9 GB of float32 costs seconds.
 */
import type { ConvLayerInfo } from '../models/engine';

/**
 * Captured activations per forward pass when the caller sets none: with the
 * model, the inputs and the threads, this keeps a 224×224 VGG-16 run under 4 GiB.
 */
export const DEFAULT_MEMORY_BUDGET_BYTES = 768 << 20;

export interface CaptureSlice {
  layer: ConvLayerInfo;
  /** Channels [start, end) captured in this pass. */
  start: number;
  end: number;
  /** Written to a temporary file during the pass instead of kept in memory. */
  spill: boolean;
}

export interface ForwardPass {
  slices: CaptureSlice[];
  bytes: number;
}

export function planPasses(layers: ConvLayerInfo[], n: number, budgetBytes: number): ForwardPass[] {
  const passes: ForwardPass[] = [];
  let current: ForwardPass = { slices: [], bytes: 0 };
  const flush = () => {
    if (current.slices.length) passes.push(current);
    current = { slices: [], bytes: 0 };
  };
  for (const layer of layers) {
    const perChannel = n * layer.mapHeight * layer.mapWidth * 4;
    const whole = perChannel * layer.channels;
    if (whole <= budgetBytes) {
      if (current.bytes + whole > budgetBytes) flush();
      current.slices.push({ layer, start: 0, end: layer.channels, spill: false });
      current.bytes += whole;
      continue;
    }
    flush();
    const perChunk = Math.max(1, Math.floor(budgetBytes / perChannel));
    const slices: CaptureSlice[] = [];
    for (let start = 0; start < layer.channels; start += perChunk) {
      slices.push({ layer, start, end: Math.min(layer.channels, start + perChunk), spill: true });
    }
    // In memory, only one chunk at a time: the one being scored.
    passes.push({ slices, bytes: perChannel * perChunk });
  }
  flush();
  return passes;
}
