/**
 * Raw pixels → the model's input tensor, following torchvision's PIL pipeline
 * (Resize → CenterCrop → ToTensor → Normalize) as closely as we can without
 * PIL, because the published models were trained with it and PCACE scores
 * depend on the exact activations.
 *
 * Resampling reimplements Pillow's ImagingResample with the bilinear filter
 * (torchvision's default interpolation): antialiased separable convolution in
 * 22-bit fixed point, horizontal pass first, each pass rounded to uint8. The
 * channel conversions and normalisation run in float afterwards.
 */
import type { Preprocessing } from './types';

/** Decoded 8-bit pixels, interleaved (HWC), 1 (gray) or 3 (RGB) channels. */
export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/** torchvision's ImageNet evaluation transform: Resize(256), CenterCrop(224), Normalize. */
export const IMAGENET_PREPROCESSING: Readonly<Preprocessing> = Object.freeze({
  width: 224,
  height: 224,
  channels: 3,
  resize: 'resize-crop',
  resizeTo: 256,
  scale: 255,
  mean: Object.freeze([0.485, 0.456, 0.406]) as number[],
  std: Object.freeze([0.229, 0.224, 0.225]) as number[],
  channelOrder: 'RGB',
} as Preprocessing);

/**
 * A sensible preprocessing for a model input shape [C, H, W] when the user
 * gave none: ImageNet statistics for 3×224×224, plain 0..1 scaling otherwise
 * (the MNIST models of the paper take 28×28 digits in 0..1).
 */
export function defaultPreprocessing(inputShape: [number, number, number]): Preprocessing {
  const [c, h, w] = inputShape;
  if (c !== 1 && c !== 3) {
    throw new Error(`no default preprocessing for ${c} input channels (models take 1 or 3)`);
  }
  if (!Number.isInteger(h) || !Number.isInteger(w) || h <= 0 || w <= 0) {
    throw new Error(`no default preprocessing for input size ${h}×${w} (dynamic sizes need an explicit preprocessing)`);
  }
  if (c === 3 && h === 224 && w === 224) {
    return { ...IMAGENET_PREPROCESSING, mean: [...IMAGENET_PREPROCESSING.mean], std: [...IMAGENET_PREPROCESSING.std] };
  }
  return {
    width: w,
    height: h,
    channels: c,
    resize: 'stretch',
    scale: 255,
    mean: new Array<number>(c).fill(0),
    std: new Array<number>(c).fill(1),
    channelOrder: 'RGB',
  };
}

const MAX_SIDE = 16384;

/** Throw a readable error for a preprocessing that cannot be applied. */
export function validatePreprocessing(pre: Preprocessing): void {
  const bad = (what: string): never => {
    throw new Error(`preprocessing: ${what}`);
  };
  for (const [name, v] of [['width', pre.width], ['height', pre.height]] as const) {
    if (!Number.isInteger(v) || v <= 0 || v > MAX_SIDE) bad(`${name} must be an integer in 1..${MAX_SIDE}, got ${v}`);
  }
  if (pre.channels !== 1 && pre.channels !== 3) bad(`channels must be 1 or 3, got ${pre.channels}`);
  if (!['stretch', 'resize-crop', 'pad'].includes(pre.resize)) bad(`unknown resize mode ${JSON.stringify(pre.resize)}`);
  if (pre.resizeTo !== undefined && (!Number.isInteger(pre.resizeTo) || pre.resizeTo <= 0 || pre.resizeTo > MAX_SIDE)) {
    bad(`resizeTo must be an integer in 1..${MAX_SIDE}, got ${pre.resizeTo}`);
  }
  if (!(Number.isFinite(pre.scale) && pre.scale > 0)) bad(`scale must be a positive number, got ${pre.scale}`);
  for (const [name, arr] of [['mean', pre.mean], ['std', pre.std]] as const) {
    if (!Array.isArray(arr) || (arr.length !== 1 && arr.length !== pre.channels)) {
      bad(`${name} needs 1 or ${pre.channels} values, got ${Array.isArray(arr) ? arr.length : typeof arr}`);
    }
    if (arr.some((v) => !Number.isFinite(v))) bad(`${name} values must be finite numbers`);
  }
  if (pre.std.some((v) => v === 0)) bad('std values must be non-zero');
  if (pre.channelOrder !== 'RGB' && pre.channelOrder !== 'BGR') bad(`channelOrder must be RGB or BGR, got ${pre.channelOrder}`);
}

/** Python 3 round(): half to even. torchvision's CenterCrop offsets use it. */
export function pythonRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** torchvision Resize(int): shorter side to `size`, longer side int(size * long / short). */
export function resizeShorterSide(width: number, height: number, size: number): [number, number] {
  if (width <= height) return [size, Math.floor((size * height) / width)];
  return [Math.floor((size * width) / height), size];
}

/**
 * Offset into the source for a centred crop (positive) or pad (negative), per
 * axis: torchvision pads by floor((out − in) / 2) on the leading side and
 * crops from round((in − out) / 2).
 */
function centreOffset(inSize: number, outSize: number): number {
  return outSize >= inSize ? -Math.floor((outSize - inSize) / 2) : pythonRound((inSize - outSize) / 2);
}

const PRECISION_BITS = 22; // Pillow: 32 − 8 − 2
const ONE = 1 << PRECISION_BITS;

interface Coeffs {
  /** Per output pixel: first input index and number of taps. */
  bounds: Int32Array;
  /** Fixed-point weights, `ksize` per output pixel. */
  k: Float64Array;
  ksize: number;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the bilinear (triangle) filter. */
function bilinearCoeffs(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 1 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const k = new Float64Array(outSize * ksize);
  const w = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C's (int) cast truncates toward zero; the clamps make the sign moot except at −0.5 → 0.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) / filterscale);
      w[x] = t < 1 ? 1 - t : 0;
      ww += w[x];
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? w[x] / ww : w[x];
      k[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    bounds[2 * xx] = xmin;
    bounds[2 * xx + 1] = xmax;
  }
  return { bounds, k, ksize };
}

function clip8(ss: number): number {
  const v = Math.floor(ss / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Resize HWC uint8 pixels like Pillow's Image.resize(size, BILINEAR). */
export function resampleBilinear(img: RawImage, outWidth: number, outHeight: number): RawImage {
  const { width: w, height: h, channels: c } = img;
  let data = img.data;
  let curW = w;
  if (outWidth !== w) {
    const { bounds, k, ksize } = bilinearCoeffs(w, outWidth);
    const out = new Uint8Array(outWidth * h * c);
    for (let y = 0; y < h; y++) {
      const row = y * w * c;
      for (let xx = 0; xx < outWidth; xx++) {
        const xmin = bounds[2 * xx];
        const n = bounds[2 * xx + 1];
        for (let ch = 0; ch < c; ch++) {
          let ss = ONE / 2;
          for (let x = 0; x < n; x++) ss += data[row + (xmin + x) * c + ch] * k[xx * ksize + x];
          out[(y * outWidth + xx) * c + ch] = clip8(ss);
        }
      }
    }
    data = out;
    curW = outWidth;
  }
  if (outHeight !== h) {
    const { bounds, k, ksize } = bilinearCoeffs(h, outHeight);
    const out = new Uint8Array(curW * outHeight * c);
    const stride = curW * c;
    for (let yy = 0; yy < outHeight; yy++) {
      const ymin = bounds[2 * yy];
      const n = bounds[2 * yy + 1];
      for (let i = 0; i < stride; i++) {
        let ss = ONE / 2;
        for (let y = 0; y < n; y++) ss += data[(ymin + y) * stride + i] * k[yy * ksize + y];
        out[yy * stride + i] = clip8(ss);
      }
    }
    data = out;
  }
  return { width: outWidth, height: outHeight, channels: c, data };
}

/** Number of floats one preprocessed image takes: C × H × W. */
export function imageSize(pre: Preprocessing): number {
  return pre.channels * pre.height * pre.width;
}

/**
 * Preprocess one image into `out` at `offset` (CHW float32), or into a new
 * array. Order: resize (uint8, like PIL), crop/pad, then per output channel
 * scale and normalise. `mean`/`std` are indexed by the model's channel, i.e.
 * after BGR reordering (Caffe-style BGR models list their means in BGR).
 * Padding is a zero pixel value, normalised like any other (torchvision Pad
 * before Normalize). Gray sources feed all three channels; colour sources
 * feeding a 1-channel model become ITU-R BT.601 luma, kept fractional.
 */
export function preprocessImage(
  img: RawImage,
  pre: Preprocessing,
  out: Float32Array = new Float32Array(imageSize(pre)),
  offset = 0,
): Float32Array {
  if (img.data.length !== img.width * img.height * img.channels) {
    throw new Error(`image buffer has ${img.data.length} bytes, expected ${img.width}×${img.height}×${img.channels}`);
  }
  let src = img;
  if (pre.resize === 'stretch') {
    if (img.width !== pre.width || img.height !== pre.height) src = resampleBilinear(img, pre.width, pre.height);
  } else if (pre.resize === 'resize-crop') {
    const [rw, rh] = resizeShorterSide(img.width, img.height, pre.resizeTo ?? Math.max(pre.width, pre.height));
    if (rw !== img.width || rh !== img.height) src = resampleBilinear(img, rw, rh);
  }
  const { width: sw, height: sh, channels: sc, data } = src;
  const W = pre.width;
  const H = pre.height;
  const offX = centreOffset(sw, W);
  const offY = centreOffset(sh, H);
  const plane = W * H;
  for (let c = 0; c < pre.channels; c++) {
    const mean = pre.mean.length === 1 ? pre.mean[0] : pre.mean[c];
    const std = pre.std.length === 1 ? pre.std[0] : pre.std[c];
    // Which RGB channel feeds model channel c.
    const rgb = pre.channelOrder === 'BGR' ? 2 - c : c;
    const base = offset + c * plane;
    for (let y = 0; y < H; y++) {
      const syy = y + offY;
      for (let x = 0; x < W; x++) {
        const sx = x + offX;
        let v = 0;
        if (syy >= 0 && syy < sh && sx >= 0 && sx < sw) {
          const p = (syy * sw + sx) * sc;
          if (sc === 1) v = data[p];
          else if (pre.channels === 3) v = data[p + rgb];
          else v = 0.299 * data[p] + 0.587 * data[p + 1] + 0.114 * data[p + 2];
        }
        out[base + y * W + x] = (v / pre.scale - mean) / std;
      }
    }
  }
  return out;
}
