/** Image helpers shared by the attribution and visualisation methods. */
import * as tf from '@tensorflow/tfjs';

export { seededUniform } from '../../pcace/random';

/**
 * Bilinear upsampling of [N, h, w] maps to [N, H, W] with half-pixel centres
 * (what cv2.resize does in the reference Grad-CAM code), so a map pixel covers
 * the input region it came from rather than being shifted by half a cell.
 */
export function upsample(maps: tf.Tensor3D, height: number, width: number): tf.Tensor3D {
  return tf.tidy(() => {
    const x = tf.expandDims(maps, 3) as tf.Tensor4D;
    return tf.squeeze(tf.image.resizeBilinear(x, [height, width], false, true), [3]) as tf.Tensor3D;
  });
}

/** Scale each map to 0..1 by its own min and max (a constant map becomes all zeros). */
export function minMaxPerMap(maps: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const lo = tf.min(maps, [1, 2], true);
    const span = tf.sub(tf.max(maps, [1, 2], true), lo);
    const safe = tf.where(tf.greater(span, 0), span, tf.onesLike(span));
    return tf.div(tf.sub(maps, lo), safe) as tf.Tensor3D;
  });
}

/** Gaussian blur of an NCHW batch: a depthwise conv over a reflect-padded image (borders neither darken nor brighten). */
export function gaussianBlur(x: tf.Tensor4D, sigma: number): tf.Tensor4D {
  if (sigma <= 0) return tf.clone(x);
  return tf.tidy(() => {
    const r = Math.max(1, Math.ceil(2 * sigma));
    const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
    const s = k.reduce((a, b) => a + b, 0);
    const k1 = k.map((v) => v / s);
    const c = x.shape[1];
    const size = 2 * r + 1;
    const kernel = new Float32Array(size * size * c);
    for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) for (let ch = 0; ch < c; ch++) kernel[(i * size + j) * c + ch] = k1[i] * k1[j];
    const nhwc = tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D;
    // Reflect padding needs r < side; tiny maps fall back to edge-clamped radius.
    const pr = Math.min(r, x.shape[2] - 1, x.shape[3] - 1);
    const padded = tf.mirrorPad(nhwc, [[0, 0], [pr, pr], [pr, pr], [0, 0]], 'reflect') as tf.Tensor4D;
    const blurred = tf.depthwiseConv2d(padded, tf.tensor4d(kernel, [size, size, c, 1]), 1, pr === r ? 'valid' : 'same');
    const out = pr === r ? blurred : tf.slice(blurred, [0, pr, pr, 0], [-1, x.shape[2], x.shape[3], -1]);
    return tf.transpose(out, [0, 3, 1, 2]) as tf.Tensor4D;
  });
}

/** Circular shift of an NCHW batch by (dy, dx) pixels: jitter that loses no content. */
export function roll(x: tf.Tensor4D, dy: number, dx: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [, , h, w] = x.shape;
    const sy = ((dy % h) + h) % h;
    const sx = ((dx % w) + w) % w;
    let y = x;
    if (sy) y = tf.concat([tf.slice(y, [0, 0, h - sy, 0], [-1, -1, sy, -1]), tf.slice(y, [0, 0, 0, 0], [-1, -1, h - sy, -1])], 2);
    if (sx) y = tf.concat([tf.slice(y, [0, 0, 0, w - sx], [-1, -1, -1, sx]), tf.slice(y, [0, 0, 0, 0], [-1, -1, -1, w - sx])], 3);
    return y === x ? tf.clone(x) : y;
  });
}

/**
 * One NCHW image [C, H, W] (C = 1 or 3) → interleaved uint8 pixels (gray or
 * RGB, row-major) ready for a PNG encoder such as sharp(raw). Values map
 * linearly from `range` (default: the image's own 1st–99th percentile, so a
 * few extreme pixels do not wash out the rest) to 0..255.
 */
export function toUint8Image(
  data: Float32Array,
  dims: readonly number[],
  range?: readonly [number, number],
): { pixels: Uint8Array; width: number; height: number; channels: 1 | 3 } {
  const [c, h, w] = dims.length === 4 ? dims.slice(1) : dims;
  if (c !== 1 && c !== 3) throw new Error(`toUint8Image: 1 or 3 channels expected, got ${c}`);
  let lo: number;
  let hi: number;
  if (range) [lo, hi] = range;
  else {
    const sorted = Float32Array.from(data.subarray(0, c * h * w)).sort();
    lo = sorted[Math.floor(0.01 * (sorted.length - 1))];
    hi = sorted[Math.ceil(0.99 * (sorted.length - 1))];
  }
  const span = hi > lo ? hi - lo : 1;
  const pixels = new Uint8Array(h * w * c);
  for (let ch = 0; ch < c; ch++)
    for (let i = 0; i < h * w; i++) {
      const v = Math.round(((data[ch * h * w + i] - lo) / span) * 255);
      pixels[i * c + ch] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  return { pixels, width: w, height: h, channels: c as 1 | 3 };
}
