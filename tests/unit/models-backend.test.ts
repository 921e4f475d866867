import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initTfBackend } from '../../lib/models/backend';
import { GRADIENT_KERNELS, missingKernels } from '../../lib/models/tfjs-kernels';
import { gaussianBlur, roll, toUint8Image } from '../../lib/models/gradients/image';

describe('TF.js backend choice', () => {
  it('is made once per process and logged once', async () => {
    const lines: string[] = [];
    const a = await initTfBackend({ log: (l) => lines.push(l) });
    const b = await initTfBackend({ log: (l) => lines.push(l) });
    expect(b).toBe(a);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[pcace\] tfjs backend: (tensorflow|wasm|cpu) \(/);
    expect(tf.getBackend()).toBe(a.name);
    if (a.name !== 'tensorflow') expect(a.reason).toMatch(/tfjs-node unavailable: @tensorflow\/tfjs-node-gpu not installed; @tensorflow\/tfjs-node not installed|requested/);
  });

  it('has every gradient kernel Grad-CAM and activation maximisation need', async () => {
    const c = await initTfBackend();
    expect(missingKernels(GRADIENT_KERNELS)).toEqual([]);
    if (c.name === 'wasm') expect(c.addedKernels).toEqual(expect.arrayContaining(['Conv2DBackpropFilter', 'Conv2DBackpropInput (stride 1 via Conv2D)']));
  });

  it('computes delegated kernels (filter and depthwise gradients) exactly as the cpu backend does', async () => {
    const chosen = (await initTfBackend()).name;
    const x = tf.randomNormal([2, 7, 6, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
    const dw = tf.randomNormal([3, 3, 3, 2], 0, 1, 'float32', 3) as tf.Tensor4D;
    const grads = () =>
      tf.tidy(() => {
        const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, [2, 1], 'same'))))([x, w]);
        const [hx, hw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid'))))([x, dw]);
        // Stride 1: wasm's input gradient is rerouted through its forward conv.
        const pads = ['same', 'valid', [[0, 0], [2, 0], [1, 2], [0, 0]]] as const;
        const stride1 = pads.map((pad) =>
          tf.grad((a: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, w, 1, pad as 'same'))))(x),
        );
        return [gx, gw, hx, hw, ...stride1].map((t) => Array.from(t.dataSync()));
      });
    const mine = grads();
    await tf.setBackend('cpu');
    const ref = grads();
    await tf.setBackend(chosen);
    mine.forEach((g, i) => g.forEach((v, j) => expect(v).toBeCloseTo(ref[i][j], 3)));
    tf.dispose([x, w, dw]);
  });
});

describe('image helpers', () => {
  it('roll is a circular shift and its inverse restores the image', () => {
    const x = tf.tensor4d(Array.from({ length: 12 }, (_, i) => i), [1, 1, 3, 4]);
    const r = roll(x, 1, -1);
    expect(Array.from(r.dataSync())).toEqual([9, 10, 11, 8, 1, 2, 3, 0, 5, 6, 7, 4]);
    expect(Array.from(roll(r, -1, 1).dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([x, r]);
  });

  it('Gaussian blur keeps a constant image constant and smooths an impulse', () => {
    const c = tf.fill([1, 3, 8, 8], 0.7) as tf.Tensor4D;
    expect(Math.max(...Array.from(gaussianBlur(c, 1).dataSync()).map((v) => Math.abs(v - 0.7)))).toBeLessThan(1e-6);
    const d = new Float32Array(81);
    d[40] = 1;
    const b = gaussianBlur(tf.tensor4d(d, [1, 1, 9, 9]), 1).dataSync();
    expect(b[40]).toBeLessThan(0.5);
    expect(b[40]).toBeGreaterThan(b[41]);
    expect(b[41]).toBeCloseTo(b[39], 6);
    expect(Array.from(b).reduce((a, v) => a + v, 0)).toBeCloseTo(1, 4);
    c.dispose();
  });

  it('toUint8Image interleaves channels and maps the range to 0..255', () => {
    // 1×2 RGB image, planar: R = [0, 1], G = [0.5, 0.5], B = [1, 0].
    const img = toUint8Image(new Float32Array([0, 1, 0.5, 0.5, 1, 0]), [3, 1, 2], [0, 1]);
    expect(img).toMatchObject({ width: 2, height: 1, channels: 3 });
    expect(Array.from(img.pixels)).toEqual([0, 128, 255, 255, 128, 0]);
    expect(() => toUint8Image(new Float32Array(8), [2, 2, 2])).toThrow(/1 or 3 channels/);
  });
});
