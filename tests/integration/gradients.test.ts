import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import onnxProto from 'onnx-proto';
import { OnnxTfjsModel } from '../../lib/models/onnx-to-tfjs';
import { OnnxEngine } from '../../lib/models/onnx-engine';
import { createTfjsEngine, type TfjsLayersEngine } from '../../lib/models/tfjs-engine';
import { activationMaximisation, cam, gradCam } from '../../lib/models/gradients';
import { readNpy } from '../../lib/datasets/npy';
import { PIPELINE_DIR } from '../helpers/reference';
import { useOnnxTfjsModel } from '../helpers/models';

const MNIST = path.join(PIPELINE_DIR, 'mnist_cnn.onnx');
const RESNET = path.resolve(__dirname, '../fixtures/resnet18-w4');
const digits = readNpy(path.join(PIPELINE_DIR, 'inputs_digit3.npy'));

describe('Grad-CAM on the MNIST CNN (ONNX through the TF.js translation)', () => {
  const mnist = useOnnxTfjsModel(MNIST);

  it('returns finite 28×28 maps normalised to 0..1 that concentrate on the digit', async () => {
    const n = 32;
    const before = tf.memory().numTensors;
    const maps = await gradCam(mnist.model, digits.data.slice(0, n * 784), n, { layer: 'conv2', classIndex: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(maps).toHaveLength(n);
    let inside = 0;
    maps.forEach((h, i) => {
      expect([h.height, h.width, h.data.length]).toEqual([28, 28, 784]);
      expect([h.coarseHeight, h.coarseWidth]).toEqual([24, 24]);
      expect(h.data.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
      expect(Math.max(...h.data)).toBeCloseTo(1, 5);
      expect(h.classIndex).toBe(3);
      // Mean heat over the digit's ink (pixel > 0.5) against the background.
      let si = 0, ni = 0, so = 0, no = 0;
      for (let p = 0; p < 784; p++) {
        if (digits.data[i * 784 + p] > 0.5) (si += h.data[p]), ni++;
        else (so += h.data[p]), no++;
      }
      if (si / ni > so / no) inside++;
    });
    expect(inside / n).toBeGreaterThanOrEqual(0.8);
  });

  it('explains the predicted class by default and reports its logit', async () => {
    const ort = await OnnxEngine.fromFile(MNIST);
    const { output } = await ort.run(digits.data.slice(0, 4 * 784), 4, []);
    await ort.dispose();
    const maps = await gradCam(mnist.model, digits.data.slice(0, 4 * 784), 4, { layer: 'conv1' });
    maps.forEach((h, i) => {
      const row = Array.from(output.data.subarray(i * 10, i * 10 + 10));
      expect(h.classIndex).toBe(row.indexOf(Math.max(...row)));
      expect(h.score).toBeCloseTo(row[h.classIndex], 3);
    });
  });

  it('refuses CAM on a model without a global average pool, and bad arguments', async () => {
    await expect(cam(mnist.model, digits.data.slice(0, 784), 1)).rejects.toThrow(/no global average pool/);
    await expect(gradCam(mnist.model, digits.data.slice(0, 784), 1, { layer: 'fc1' })).rejects.toThrow(/unknown layer 'fc1'/);
    await expect(gradCam(mnist.model, digits.data.slice(0, 784), 1, { layer: 'conv2', classIndex: 10 })).rejects.toThrow(/0\.\.9/);
  });
});

describe('CAM on the resnet18-w4 fixture', () => {
  it('equals Σ_k w_ck F_k with the fc weights, min-max normalised', async () => {
    // At the fixture's 32×32 the last map is 1×1; the graph is size-agnostic,
    // so run it at 128×128 for a 4×4 map.
    const model = await OnnxTfjsModel.create(path.join(RESNET, 'model.onnx'), { inputShape: [3, 128, 128] });
    const input = { data: Float32Array.from({ length: 2 * 3 * 128 * 128 }, (_, i) => Math.sin(i * 0.37) + Math.cos(i * 0.011)), shape: [2, 3, 128, 128] };
    try {
      const cls = 7;
      const maps = await cam(model, input.data, 2, { classIndex: cls });
      const proto = onnxProto.onnx.ModelProto.decode(readFileSync(path.join(RESNET, 'model.onnx')));
      const fc = proto.graph!.initializer!.find((t) => t.name === 'fc.weight')!;
      const raw = fc.rawData!;
      const w = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)); // [10, C]
      const f = tf.tidy(() => model.forward(tf.tensor4d(input.data, input.shape as [number, number, number, number]), { taps: [model.poolFeature!] }).taps.get(model.poolFeature!)!);
      const [n, c, h, wd] = f.shape;
      const fd = f.dataSync();
      f.dispose();
      for (let i = 0; i < n; i++) {
        const m = new Float64Array(h * wd);
        for (let k = 0; k < c; k++) for (let p = 0; p < h * wd; p++) m[p] += w[cls * c + k] * fd[(i * c + k) * h * wd + p];
        const lo = Math.min(...m), hi = Math.max(...m);
        const expected = Array.from(m, (v) => (v - lo) / (hi - lo));
        expect(maps[i].coarse.length).toBe(h * wd);
        maps[i].coarse.forEach((v, p) => expect(v).toBeCloseTo(expected[p], 4));
        expect([maps[i].coarseHeight, maps[i].height, maps[i].width]).toEqual([4, 128, 128]);
      }
    } finally {
      await model.dispose();
    }
  });
});

describe('Activation maximisation', () => {
  const mnist = useOnnxTfjsModel(MNIST);

  /** Highest mean activation of a channel over the 300 real digits. */
  async function bestReal(layer: string, ch: number): Promise<number> {
    const ort = await OnnxEngine.fromFile(MNIST);
    const a = (await ort.run(digits.data, 300, [layer])).activations.get(layer)!;
    await ort.dispose();
    const [, c, h, w] = a.dims;
    let best = -Infinity;
    for (let i = 0; i < 300; i++) {
      let s = 0;
      for (let p = 0; p < h * w; p++) s += a.data[(i * c + ch) * h * w + p];
      best = Math.max(best, s / (h * w));
    }
    return best;
  }

  it('drives a conv2 channel far above its start and above every real digit', async () => {
    const before = tf.memory().numTensors;
    const r = await activationMaximisation(mnist.model, { layer: 'conv2', channel: 5, steps: 60, seed: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.dims).toEqual([1, 1, 28, 28]);
    expect(r.image.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect([r.width, r.height, r.channels, r.pixels.length]).toEqual([28, 28, 1, 784]);
    expect(r.startActivation).toBeGreaterThan(0);
    expect(r.finalActivation).toBeGreaterThan(3 * r.startActivation);
    expect(r.finalActivation).toBeGreaterThan(await bestReal('conv2', 5));
  });

  it('takes a conv1 channel from near zero to many times its start, reproducibly', async () => {
    const a = await activationMaximisation(mnist.model, { layer: 'conv1', channel: 1, steps: 40, seed: 3 });
    const b = await activationMaximisation(mnist.model, { layer: 'conv1', channel: 1, steps: 40, seed: 3 });
    expect(a.finalActivation).toBeGreaterThan(10 * Math.abs(a.startActivation));
    expect(a.finalActivation).toBeGreaterThan(await bestReal('conv1', 1));
    expect(Array.from(b.image)).toEqual(Array.from(a.image));
  });

  it('rejects a channel out of range', async () => {
    await expect(activationMaximisation(mnist.model, { layer: 'conv1', channel: 32 })).rejects.toThrow('channel must be in 0..31');
  });
});

describe('Gradients on a TF.js layers model', () => {
  it('Grad-CAM and activation maximisation run directly on the layers engine', async () => {
    const engine = (await createTfjsEngine(path.resolve(__dirname, '../fixtures/tfjs/tiny-cnn'))) as TfjsLayersEngine;
    try {
      const buf = readFileSync(path.resolve(__dirname, '../fixtures/tfjs/input.bin'));
      const x = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      const maps = await gradCam(engine, x, 4, { layer: 'conv2', classIndex: 1 });
      expect(maps.map((m) => [m.height, m.width, m.coarseHeight])).toEqual(Array(4).fill([16, 16, 14]));
      expect(maps.every((m) => m.data.every(Number.isFinite))).toBe(true);
      const r = await activationMaximisation(engine, { layer: 'conv1', channel: 2, steps: 30 });
      expect(r.channels).toBe(3);
      expect(r.pixels.length).toBe(16 * 16 * 3);
      expect(r.finalActivation).toBeGreaterThan(r.startActivation + 0.1);
    } finally {
      await engine.dispose();
    }
  });
});
