import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { ablateLayer, ablateLayerOrt } from '../../lib/models/ablation';
import { OnnxTfjsModel } from '../../lib/models/onnx-to-tfjs';
import { createTfjsEngine, type TfjsLayersEngine } from '../../lib/models/tfjs-engine';
import { readNpy } from '../../lib/datasets/npy';
import { PIPELINE_DIR } from '../helpers/reference';
import { useOnnxTfjsModel } from '../helpers/models';

const { onnx } = onnxProto;
const MNIST = path.join(PIPELINE_DIR, 'mnist_cnn.onnx');
const digits = readNpy(path.join(PIPELINE_DIR, 'inputs_digit3.npy'));
const N = 64;
const images = digits.data.slice(0, N * 784);
const labels = new Array(N).fill(3);

/** Copy of the MNIST CNN with conv1 channel k's weights and bias set to zero. */
function zeroChannel(k: number): Uint8Array {
  const model = onnx.ModelProto.decode(readFileSync(MNIST));
  for (const t of model.graph!.initializer!) {
    if (t.name !== 'conv1.weight' && t.name !== 'conv1.bias') continue;
    const raw = t.rawData!;
    const f = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const per = f.length / 32;
    f.fill(0, k * per, (k + 1) * per);
    t.rawData = new Uint8Array(f.buffer);
  }
  return onnx.ModelProto.encode(model).finish();
}

describe('channel ablation on the MNIST CNN', () => {
  const translated = useOnnxTfjsModel(MNIST);

  it('zeroing conv1 channels changes the class-3 score; ORT (split and whole graph) and TF.js agree', async () => {
    const split = await ablateLayerOrt(MNIST, { layer: 'conv1', images, count: N, labels, intraOpNumThreads: 1 });
    const whole = await ablateLayerOrt(MNIST, { layer: 'conv1', images, count: N, labels, split: false, intraOpNumThreads: 1 });
    const viaTf = await ablateLayer(translated.model, { layer: 'conv1', images, count: N, labels, channels: [0, 1, 2, 3] });
    expect(split.channels).toHaveLength(32);
    expect(split.baseline.accuracy).toBeGreaterThan(0.9);
    expect(split.baseline.meanScore).toBeGreaterThan(5);
    // Most channels matter somewhat for the score; none leave it bit-identical.
    expect(split.channels.filter((c) => Math.abs(c.meanScoreDrop) > 1e-3).length).toBeGreaterThan(24);
    expect(split.channels.every((c) => c.meanScoreDrop !== 0)).toBe(true);
    split.channels.forEach((c, i) => {
      expect(c.meanScoreDrop).toBeCloseTo(whole.channels[i].meanScoreDrop, 5);
      expect(c.accuracyDrop).toBe(whole.channels[i].accuracyDrop);
      expect(c.accuracyDrop).toBeCloseTo(split.baseline.accuracy! - c.accuracy!, 12);
    });
    viaTf.channels.forEach((c) => expect(Math.abs(c.meanScoreDrop - split.channels[c.channel].meanScoreDrop)).toBeLessThan(1e-4));
    expect(viaTf.baseline.meanScore).toBeCloseTo(split.baseline.meanScore, 4);
  });

  it('gives a drop of exactly 0 for a channel whose weights and bias are zero', async () => {
    const k = 7;
    const bytes = zeroChannel(k);
    const ort = await ablateLayerOrt(bytes, { layer: 'conv1', images, count: N, labels, channels: [k, k + 1] });
    expect(ort.channels[0]).toEqual({ channel: k, meanScoreDrop: 0, accuracy: ort.baseline.accuracy, accuracyDrop: 0 });
    expect(ort.channels[1].meanScoreDrop).not.toBe(0);
    const m = await OnnxTfjsModel.create(bytes);
    try {
      const viaTf = await ablateLayer(m, { layer: 'conv1', images, count: N, labels, channels: [k] });
      expect(viaTf.channels[0]).toEqual({ channel: k, meanScoreDrop: 0, accuracy: viaTf.baseline.accuracy, accuracyDrop: 0 });
    } finally {
      await m.dispose();
    }
  });

  it('splits conv2 ablation at the layer with the same numbers as the whole graph', async () => {
    const channels = [0, 5, 63];
    const split = await ablateLayerOrt(MNIST, { layer: 'conv2', images, count: N, channels, chunk: 20 });
    const whole = await ablateLayerOrt(MNIST, { layer: 'conv2', images, count: N, channels, split: false });
    expect(split.baseline.accuracy).toBeNull();
    expect(split.channels.map((c) => c.channel)).toEqual(channels);
    split.channels.forEach((c, i) => {
      expect(c.accuracy).toBeNull();
      expect(c.meanScoreDrop).toBeCloseTo(whole.channels[i].meanScoreDrop, 5);
    });
  });

  it('rejects unknown layers, channels out of range and mismatched labels', async () => {
    await expect(ablateLayerOrt(MNIST, { layer: 'conv9', images, count: N })).rejects.toThrow(/unknown layer 'conv9'/);
    await expect(ablateLayerOrt(MNIST, { layer: 'conv1', images, count: N, channels: [32] })).rejects.toThrow('channel 32 is not in 0..31');
    await expect(ablateLayer(translated.model, { layer: 'conv1', images, count: N, labels: [3] })).rejects.toThrow('labels: 1 for 64 images');
  });
});

describe('channel ablation on a TF.js layers model', () => {
  it('runs through the layers engine', async () => {
    const engine = await createTfjsEngine(path.resolve(__dirname, '../fixtures/tfjs/tiny-cnn'));
    try {
      const buf = readFileSync(path.resolve(__dirname, '../fixtures/tfjs/input.bin'));
      const x = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      const r = await ablateLayer(engine as TfjsLayersEngine, { layer: 'conv2', images: x, count: 4, targetClass: 2 });
      expect(r.channels).toHaveLength(6);
      expect(r.channels.every((c) => Number.isFinite(c.meanScoreDrop))).toBe(true);
      expect(r.channels.some((c) => Math.abs(c.meanScoreDrop) > 1e-4)).toBe(true);
    } finally {
      await engine.dispose();
    }
  });
});
