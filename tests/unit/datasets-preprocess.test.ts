import { describe, it, expect } from 'vitest';
import {
  IMAGENET_PREPROCESSING,
  defaultPreprocessing,
  preprocessImage,
  pythonRound,
  resampleBilinear,
  resizeShorterSide,
  validatePreprocessing,
  type RawImage,
} from '../../lib/datasets/preprocess';
import type { Preprocessing } from '../../lib/datasets/types';

const base: Preprocessing = {
  width: 4,
  height: 4,
  channels: 1,
  resize: 'pad',
  scale: 1,
  mean: [0],
  std: [1],
  channelOrder: 'RGB',
};

function gray(width: number, height: number, values: number[]): RawImage {
  return { width, height, channels: 1, data: Uint8Array.from(values) };
}

/** Channel c of a CHW float array as rows, for readable expectations. */
function plane(out: Float32Array, c: number, w: number, h: number): number[][] {
  return Array.from({ length: h }, (_, y) => Array.from(out.subarray(c * w * h + y * w, c * w * h + (y + 1) * w)));
}

describe('pythonRound and torchvision sizes', () => {
  it('rounds half to even like Python 3', () => {
    expect([0.5, 1.5, 2.5, 3.5, 2.4, 2.6, 7].map(pythonRound)).toEqual([0, 2, 2, 4, 2, 3, 7]);
  });

  it('Resize(int) scales the shorter side and truncates the longer', () => {
    expect(resizeShorterSide(500, 375, 256)).toEqual([341, 256]); // int(256·500/375) = int(341.33)
    expect(resizeShorterSide(375, 500, 256)).toEqual([256, 341]);
    expect(resizeShorterSide(300, 300, 256)).toEqual([256, 256]);
  });
});

describe('resampleBilinear (Pillow BILINEAR)', () => {
  it('keeps a constant image constant', () => {
    const img: RawImage = { width: 7, height: 5, channels: 3, data: new Uint8Array(7 * 5 * 3).fill(123) };
    for (const [w, h] of [[3, 2], [11, 9], [7, 1]]) {
      expect([...new Set(resampleBilinear(img, w, h).data)]).toEqual([123]);
    }
  });

  it('downscales 4 → 2 with the antialiased triangle filter', () => {
    // Support 2, centres 1 and 3: taps {0,1,2} weights (3,3,1)/7 and {1,2,3} weights (1,3,3)/7.
    // (0·3 + 100·3 + 200)/7 = 71.4 → 71 ; (100 + 200·3 + 255·3)/7 = 209.3 → 209.
    expect([...resampleBilinear(gray(4, 1, [0, 100, 200, 255]), 2, 1).data]).toEqual([71, 209]);
  });

  it('upscales 2 → 4 by linear interpolation with clamped edges', () => {
    // Centres 0.25, 0.75, 1.25, 1.75: a, ¾a+¼b, ¼a+¾b, b.
    expect([...resampleBilinear(gray(2, 1, [0, 200]), 4, 1).data]).toEqual([0, 50, 150, 200]);
  });

  it('works per axis and per channel', () => {
    const img: RawImage = { width: 1, height: 2, channels: 3, data: Uint8Array.from([0, 10, 20, 200, 210, 220]) };
    const out = resampleBilinear(img, 1, 4);
    expect([...out.data]).toEqual([0, 10, 20, 50, 60, 70, 150, 160, 170, 200, 210, 220]);
  });
});

describe('preprocessImage geometry', () => {
  it("'pad' centres the image on a zero canvas without scaling (MNIST 28 → 32 puts it at offset 2)", () => {
    const out = preprocessImage(gray(2, 2, [1, 2, 3, 4]), base);
    expect(plane(out, 0, 4, 4)).toEqual([
      [0, 0, 0, 0],
      [0, 1, 2, 0],
      [0, 3, 4, 0],
      [0, 0, 0, 0],
    ]);
    const digit = gray(28, 28, Array.from({ length: 784 }, (_, i) => (i % 255) + 1));
    const padded = preprocessImage(digit, { ...base, width: 32, height: 32 });
    expect(padded[0]).toBe(0);
    expect(padded[2 * 32 + 2]).toBe(1); // first digit pixel
    expect(padded[29 * 32 + 29]).toBe(digit.data[783]); // last digit pixel
    expect(padded[29 * 32 + 30]).toBe(0);
  });

  it("'pad' on a larger image crops centrally, offsets rounded half to even like torchvision", () => {
    // 7 wide → 2: round((7 − 2) / 2) = round(2.5) = 2 (not 3).
    const row = gray(7, 1, [10, 11, 12, 13, 14, 15, 16]);
    expect([...preprocessImage(row, { ...base, width: 2, height: 1 })]).toEqual([12, 13]);
    // 5 → 2: round(1.5) = 2.
    expect([...preprocessImage(gray(5, 1, [10, 11, 12, 13, 14]), { ...base, width: 2, height: 1 })]).toEqual([12, 13]);
  });

  it("'resize-crop' resizes the shorter side then centre-crops", () => {
    // 2×3 (w×h) → shorter side 2 already: no resampling; crop 2×2 from rows round(0.5) = 0.
    const img = gray(2, 3, [1, 2, 3, 4, 5, 6]);
    const out = preprocessImage(img, { ...base, width: 2, height: 2, resize: 'resize-crop', resizeTo: 2 });
    expect([...out]).toEqual([1, 2, 3, 4]);
    // 2×4 → resizeTo 1 → 1×2: rows [0, 0, 200, 200] resample to [200/7 → 29, 1200/7 → 171];
    // the 1×1 crop starts at row round(0.5) = 0 (half to even), so 29, not 171.
    const tall = gray(2, 4, [0, 0, 0, 0, 200, 200, 200, 200]);
    expect([...resampleBilinear(tall, 1, 2).data]).toEqual([29, 171]);
    const small = preprocessImage(tall, { ...base, width: 1, height: 1, resize: 'resize-crop', resizeTo: 1 });
    expect([...small]).toEqual([29]);
    // A side already at resizeTo is not resampled: 1×4 with resizeTo 1 only crops (row round(1.5) = 2).
    expect([...preprocessImage(gray(1, 4, [0, 50, 200, 255]), { ...base, width: 1, height: 1, resize: 'resize-crop', resizeTo: 1 })]).toEqual([200]);
    // resizeTo defaults to the larger of width/height.
    const square = gray(4, 4, Array.from({ length: 16 }, (_, i) => i * 10));
    const def = preprocessImage(square, { ...base, width: 2, height: 2, resize: 'resize-crop' });
    expect([...def]).toEqual([...resampleBilinear(square, 2, 2).data]);
  });

  it("'stretch' resizes to width×height ignoring aspect and is the identity at the same size", () => {
    const img = gray(4, 1, [0, 100, 200, 255]);
    expect([...preprocessImage(img, { ...base, width: 2, height: 1, resize: 'stretch' })]).toEqual([71, 209]);
    expect([...preprocessImage(img, { ...base, width: 4, height: 1, resize: 'stretch' })]).toEqual([0, 100, 200, 255]);
  });
});

describe('preprocessImage values and channels', () => {
  const rgb: RawImage = { width: 1, height: 1, channels: 3, data: Uint8Array.from([51, 102, 204]) };
  const pre3: Preprocessing = { ...base, width: 1, height: 1, channels: 3, scale: 255, mean: [0.1, 0.2, 0.3], std: [0.5, 0.25, 2] };

  it('scales then normalises per channel', () => {
    const out = preprocessImage(rgb, pre3);
    expect(out[0]).toBeCloseTo((0.2 - 0.1) / 0.5, 6);
    expect(out[1]).toBeCloseTo((0.4 - 0.2) / 0.25, 6);
    expect(out[2]).toBeCloseTo((0.8 - 0.3) / 2, 6);
  });

  it('BGR reverses the channels; mean/std follow the model channel order', () => {
    const out = preprocessImage(rgb, { ...pre3, channelOrder: 'BGR' });
    expect(out[0]).toBeCloseTo((0.8 - 0.1) / 0.5, 6);
    expect(out[1]).toBeCloseTo((0.4 - 0.2) / 0.25, 6);
    expect(out[2]).toBeCloseTo((0.2 - 0.3) / 2, 6);
  });

  it('replicates gray into three channels', () => {
    const out = preprocessImage(gray(1, 1, [102]), { ...pre3, mean: [0], std: [1] });
    expect([...out].map((v) => Math.round(v * 255))).toEqual([102, 102, 102]);
  });

  it('turns colour into ITU-R 601 luma for a 1-channel model', () => {
    const out = preprocessImage(rgb, { ...base, width: 1, height: 1, scale: 1 });
    expect(out[0]).toBeCloseTo(0.299 * 51 + 0.587 * 102 + 0.114 * 204, 4);
  });

  it('normalises the padding too (torchvision pads before Normalize)', () => {
    const out = preprocessImage(gray(1, 1, [255]), { ...base, width: 3, height: 1, scale: 255, mean: [0.5], std: [0.5] });
    expect([...out]).toEqual([-1, 1, -1]);
  });

  it('writes into a caller buffer at an offset', () => {
    const out = new Float32Array(10).fill(9);
    preprocessImage(gray(1, 1, [7]), { ...base, width: 1, height: 1 }, out, 3);
    expect([...out]).toEqual([9, 9, 9, 7, 9, 9, 9, 9, 9, 9]);
  });

  it('ImageNet: a mid-gray 300×400 photo gives the documented constants', () => {
    const img: RawImage = { width: 300, height: 400, channels: 3, data: new Uint8Array(300 * 400 * 3).fill(128) };
    const out = preprocessImage(img, IMAGENET_PREPROCESSING);
    expect(out.length).toBe(3 * 224 * 224);
    const m = IMAGENET_PREPROCESSING.mean;
    const s = IMAGENET_PREPROCESSING.std;
    for (let c = 0; c < 3; c++) expect(out[c * 224 * 224 + 1000]).toBeCloseTo((128 / 255 - m[c]) / s[c], 5);
  });
});

describe('defaults and validation', () => {
  it('defaultPreprocessing follows the input shape', () => {
    expect(defaultPreprocessing([3, 224, 224])).toEqual({ ...IMAGENET_PREPROCESSING });
    expect(defaultPreprocessing([1, 28, 28])).toMatchObject({ width: 28, height: 28, channels: 1, scale: 255, mean: [0], std: [1] });
    expect(defaultPreprocessing([3, 64, 32])).toMatchObject({ width: 32, height: 64, resize: 'stretch', mean: [0, 0, 0], std: [1, 1, 1] });
    expect(() => defaultPreprocessing([2, 28, 28])).toThrow(/2 input channels/);
    expect(() => defaultPreprocessing([3, -1, 224])).toThrow(/input size/);
  });

  it('IMAGENET_PREPROCESSING is the torchvision evaluation transform and cannot be mutated', () => {
    expect(IMAGENET_PREPROCESSING).toMatchObject({ width: 224, height: 224, resize: 'resize-crop', resizeTo: 256, scale: 255 });
    expect(() => (IMAGENET_PREPROCESSING.mean as number[]).push(1)).toThrow();
    const copy = defaultPreprocessing([3, 224, 224]);
    copy.mean[0] = 0;
    expect(IMAGENET_PREPROCESSING.mean[0]).toBe(0.485);
  });

  it('rejects unusable preprocessing with the field named', () => {
    expect(() => validatePreprocessing({ ...base, std: [0] })).toThrow(/std.*non-zero/);
    expect(() => validatePreprocessing({ ...base, channels: 3, mean: [0, 0] })).toThrow(/mean needs 1 or 3/);
    expect(() => validatePreprocessing({ ...base, width: 0 })).toThrow(/width/);
    expect(() => validatePreprocessing({ ...base, scale: 0 })).toThrow(/scale/);
    expect(() => validatePreprocessing({ ...base, resize: 'zoom' as 'pad' })).toThrow(/resize mode/);
    expect(() => preprocessImage({ width: 2, height: 2, channels: 1, data: new Uint8Array(3) }, base)).toThrow(/3 bytes/);
  });
});
