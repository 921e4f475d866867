/**
 * Memory plan of a network-wide analysis. Activations of one layer for n images
 * can exceed the machine (VGG-16 features.0: 64 × 224² × 300 × 4 B = 3.9 GB),
 * so layers are grouped into forward passes whose captured activations fit a
 * budget, and a layer too big on its own is captured in channel chunks, one
 * pass each. Re-running the forward pass is cheaper than spilling to disk here
 * (ONNX Runtime computes VGG-16 on 300 images in well under a minute).
 */
import type { ConvLayerInfo } from '../models/engine';

export interface CaptureSlice {
  layer: ConvLayerInfo;
  /** Channels [start, end) captured in this pass. */
  start: number;
  end: number;
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
      current.slices.push({ layer, start: 0, end: layer.channels });
      current.bytes += whole;
      continue;
    }
    flush();
    const perChunk = Math.max(1, Math.floor(budgetBytes / perChannel));
    for (let start = 0; start < layer.channels; start += perChunk) {
      const end = Math.min(layer.channels, start + perChunk);
      passes.push({ slices: [{ layer, start, end }], bytes: perChannel * (end - start) });
    }
  }
  flush();
  return passes;
}
