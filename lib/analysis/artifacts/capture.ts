/** Capturing some channels of a layer over a sample, for the artifacts that need their maps. */
import type { ConvLayerInfo, ModelEngine } from '../../models/engine';
import { forwardBatches } from '../inputs';

/**
 * Forward `n` images (loaded in batches through `load`) and keep the maps of
 * `channels`: one n×H×W array per channel. `onBatch` also sees each batch's
 * model outputs (one row per image).
 */
export async function forwardChannels(
  engine: ModelEngine,
  load: (start: number, count: number) => Promise<Float32Array>,
  n: number,
  layer: ConvLayerInfo,
  channels: number[],
  onBatch?: (done: number, output: Float32Array, start: number, count: number) => void,
  stop?: () => void,
): Promise<Float32Array[]> {
  const P = layer.mapHeight * layer.mapWidth;
  const per = engine.input.shape.reduce((a, b) => a * b, 1);
  const out = channels.map(() => new Float32Array(n * P));
  const size = Math.max(1, Math.min(64, Math.floor((64 << 20) / (4 * (per + layer.channels * P)))));
  await forwardBatches(engine, load, n, size, [layer.name], (r, start, count) => {
    const a = r.activations.get(layer.name)!.data;
    for (let b = 0; b < count; b++)
      channels.forEach((c, j) => out[j].set(a.subarray((b * layer.channels + c) * P, (b * layer.channels + c + 1) * P), (start + b) * P));
    onBatch?.(start + count, r.output.data, start, count);
  }, stop);
  return out;
}
