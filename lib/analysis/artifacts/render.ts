/**
 * Pixels for channel artifacts: colour maps, the model input turned back into
 * an image, nearest-neighbour enlargement and PNG encoding. Everything is RGB
 * (3 bytes per pixel) so one encoder path serves every picture.
 */
import sharp from 'sharp';
import type { Preprocessing } from '../../datasets/types';

export interface Rgb {
  data: Uint8Array;
  width: number;
  height: number;
}

/** A colour stop: position in 0..1 and the colour there as '#rrggbb' (the form the palettes are published in). */
type Stop = [number, string];

const rgbOf = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

/** 256-entry lookup table interpolated linearly between colour stops. */
function lut(hexStops: Stop[]): Uint8Array {
  const stops = hexStops.map(([t, hex]) => [t, rgbOf(hex)] as const);
  const out = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    let j = 0;
    while (j < stops.length - 2 && t > stops[j + 1][0]) j++;
    const [t0, c0] = stops[j];
    const [t1, c1] = stops[j + 1];
    const f = t1 > t0 ? Math.min(1, Math.max(0, (t - t0) / (t1 - t0))) : 0;
    for (let k = 0; k < 3; k++) out[i * 3 + k] = Math.round(c0[k] + f * (c1[k] - c0[k]));
  }
  return out;
}

/**
 * Conv outputs are taken before the activation function, so their sign
 * matters: a diverging map (ColorBrewer RdBu, blue below zero, red above)
 * centred on zero shows both, where a sequential map would hide the sign.
 */
export const DIVERGING = lut([[0, '#053061'], [0.2, '#4393c3'], [0.4, '#d1e5f0'], [0.5, '#f7f7f7'], [0.6, '#fddbc7'], [0.8, '#d6604d'], [1, '#67001f']]);

/** Grad-CAM/CAM heat (0..1): a perceptually ordered dark-to-bright map (inferno stops). */
export const HEAT = lut([[0, '#000004'], [0.25, '#57106e'], [0.5, '#bc3754'], [0.75, '#f98e09'], [1, '#fcffa4']]);

/** values (h×w) → colours, `lo`..`hi` spread over the table, outside values clamped. */
export function colorize(values: ArrayLike<number>, width: number, height: number, table: Uint8Array, lo: number, hi: number): Rgb {
  const span = hi > lo ? hi - lo : 1;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const t = Math.round(((values[i] - lo) / span) * 255);
    const k = (t < 0 ? 0 : t > 255 ? 255 : t) * 3;
    data[i * 3] = table[k];
    data[i * 3 + 1] = table[k + 1];
    data[i * 3 + 2] = table[k + 2];
  }
  return { data, width, height };
}

/**
 * Nearest-neighbour resize: a 26×26 map shown at 224 px keeps its cells
 * visible, so the picture never suggests a finer resolution than the layer has.
 * Cells are stretched over the whole image (half-pixel centres, as Grad-CAM's
 * upsampling), which is how the maps line up with the input.
 */
export function resizeNearest(img: Rgb, width: number, height: number): Rgb {
  if (img.width === width && img.height === height) return img;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(img.height - 1, Math.floor(((y + 0.5) * img.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(img.width - 1, Math.floor(((x + 0.5) * img.width) / width));
      const s = (sy * img.width + sx) * 3;
      const d = (y * width + x) * 3;
      data[d] = img.data[s];
      data[d + 1] = img.data[s + 1];
      data[d + 2] = img.data[s + 2];
    }
  }
  return { data, width, height };
}

/**
 * One preprocessed CHW input back to what the model saw: normalisation undone
 * per channel ((x·std + mean)·scale), BGR models reordered to RGB, gray
 * replicated. So the input shown is after resize/crop/pad, aligned with the maps.
 */
export function inputToRgb(chw: Float32Array, pre: Preprocessing, width: number, height: number): Rgb {
  const c = pre.channels;
  const plane = width * height;
  const data = new Uint8Array(plane * 3);
  for (let mc = 0; mc < c; mc++) {
    const mean = pre.mean.length === 1 ? pre.mean[0] : pre.mean[mc];
    const std = pre.std.length === 1 ? pre.std[0] : pre.std[mc];
    const rgb = c === 1 ? -1 : pre.channelOrder === 'BGR' ? 2 - mc : mc;
    for (let p = 0; p < plane; p++) {
      const v = Math.round((chw[mc * plane + p] * std + mean) * pre.scale);
      const b = v < 0 ? 0 : v > 255 ? 255 : v;
      if (rgb < 0) data[p * 3] = data[p * 3 + 1] = data[p * 3 + 2] = b;
      else data[p * 3 + rgb] = b;
    }
  }
  return { data, width, height };
}

/** Input value range of each model channel for pixel values 0..255 (activation maximisation clips to it). */
export function inputRange(pre: Preprocessing): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let c = 0; c < pre.channels; c++) {
    const mean = pre.mean.length === 1 ? pre.mean[0] : pre.mean[c];
    const std = pre.std.length === 1 ? pre.std[0] : pre.std[c];
    const a = (0 / pre.scale - mean) / std;
    const b = (255 / pre.scale - mean) / std;
    lo = Math.min(lo, a, b);
    hi = Math.max(hi, a, b);
  }
  return [lo, hi];
}

/** `over` on a gray copy of `base` with opacity `alpha` (Grad-CAM overlays: heat over the digit). */
export function overlay(base: Rgb, over: Rgb, alpha: number): Rgb {
  const data = new Uint8Array(base.data.length);
  for (let p = 0; p < base.width * base.height; p++) {
    const g = 0.299 * base.data[p * 3] + 0.587 * base.data[p * 3 + 1] + 0.114 * base.data[p * 3 + 2];
    for (let k = 0; k < 3; k++) data[p * 3 + k] = Math.round((1 - alpha) * g + alpha * over.data[p * 3 + k]);
  }
  return { data, width: base.width, height: base.height };
}

/** Display size: small inputs (MNIST 28 px) enlarged by an integer factor to about 224 px. */
export function displaySize(height: number, width: number): { height: number; width: number } {
  const f = Math.max(1, Math.round(224 / Math.max(height, width)));
  return { height: height * f, width: width * f };
}

export function encodePng(img: Rgb): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).png({ compressionLevel: 6 }).toBuffer();
}

/** Four significant digits: plenty for a tooltip, and keeps the stored JSON small. */
export function round4(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(4)) : 0;
}

/** Value grid for tooltips, at most `max`×`max` cells: larger maps are block-averaged. */
export function tooltipGrid(values: ArrayLike<number>, height: number, width: number, max = 64): { height: number; width: number; values: number[] } {
  const fy = Math.max(1, Math.ceil(height / max));
  const fx = Math.max(1, Math.ceil(width / max));
  const h = Math.ceil(height / fy);
  const w = Math.ceil(width / fx);
  const out: number[] = new Array(h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0;
      let n = 0;
      for (let yy = y * fy; yy < Math.min(height, (y + 1) * fy); yy++)
        for (let xx = x * fx; xx < Math.min(width, (x + 1) * fx); xx++) {
          s += values[yy * width + xx];
          n++;
        }
      out[y * w + x] = round4(s / n);
    }
  return { height: h, width: w, values: out };
}

export function stats(values: ArrayLike<number>): { mean: number; max: number; min: number } {
  let s = 0;
  let max = -Infinity;
  let min = Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    s += v;
    if (v > max) max = v;
    if (v < min) min = v;
  }
  return { mean: s / Math.max(1, values.length), max, min };
}
