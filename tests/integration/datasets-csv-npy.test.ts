import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { ALL_SAMPLES, countClasses, datasetThumbnail, openDataset } from '../../lib/datasets/index';
import { writeNpy } from '../../lib/datasets/npy';
import type { Preprocessing } from '../../lib/datasets/types';
import { corruptPng, patternImage, patternPixels, tempDir, writeFiles } from '../fixtures/datasets/images';

let root: string;
const pre: Preprocessing = { width: 8, height: 6, channels: 3, resize: 'stretch', scale: 1, mean: [0], std: [1], channelOrder: 'RGB' };

beforeAll(async () => {
  root = tempDir();
  const images: Record<string, Buffer> = {};
  for (let i = 0; i < 12; i++) images[`imgs/site${i}.png`] = await patternImage(8, 6, i * 5);
  images['imgs/with, comma.png'] = await patternImage(8, 6, 77);
  images['imgs/broken.png'] = await corruptPng();
  writeFiles(root, images);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

function csvAt(name: string, text: string): string {
  const file = path.join(root, name);
  writeFileSync(file, text);
  return file;
}

describe('CSV regression source', () => {
  it('pairs images with continuous targets, paths relative to the CSV folder', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => `imgs/site${i},${(i * 1.5).toFixed(1)},x`.replace(',', '.png,'));
    const file = csvAt('pm25.csv', ['image,target,note', ...rows, '"imgs/with, comma.png",-2.5e1,quoted'].join('\n'));
    const ds = await openDataset({ kind: 'csv', path: file }, { n: 100, seed: 1 });
    expect(ds.classes).toEqual([]);
    expect(ds.samples).toHaveLength(13);
    expect(ds.samples[3]).toEqual({ id: 'imgs/site3.png', target: 4.5 });
    expect(ds.samples[12]).toEqual({ id: 'imgs/with, comma.png', target: -25 });
    const batch = await ds.loadBatch(3, 1, pre);
    const px = patternPixels(8, 6, 15);
    expect(batch[0]).toBe(px[0]);
    expect(batch[48 + 5]).toBe(px[5 * 3 + 1]);
    expect(await countClasses({ kind: 'csv', path: file })).toEqual({ [ALL_SAMPLES]: 13 });
    const png = await datasetThumbnail({ kind: 'csv', path: file }, 'imgs/site3.png', 8);
    expect((await sharp(png).metadata()).width).toBe(8);
  });

  it('samples n rows reproducibly, with imageRoot and semicolons', async () => {
    const sub = csvAt('sub.csv', ['Image;Target', ...Array.from({ length: 12 }, (_, i) => `site${i}.png;${i}`)].join('\r\n'));
    const spec = { kind: 'csv' as const, path: sub, imageRoot: path.join(root, 'imgs') };
    const a = await openDataset(spec, { n: 5, seed: 8 });
    const b = await openDataset(spec, { n: 5, seed: 8 });
    expect(a.samples).toEqual(b.samples);
    expect(a.samples).toHaveLength(5);
    expect(a.samples.every((s) => s.id === `site${s.target}.png`)).toBe(true);
  });

  it('skips missing and undecodable images with their line, keeps repeated images distinct', async () => {
    const file = csvAt('gaps.csv', 'image,target\nimgs/site0.png,1\nimgs/missing.png,2\nimgs/broken.png,3\nimgs/site0.png,4\n');
    const ds = await openDataset({ kind: 'csv', path: file }, { n: 10, seed: 1 });
    expect(ds.samples).toEqual([{ id: 'imgs/site0.png', target: 1 }, { id: 'imgs/site0.png#L5', target: 4 }]);
    expect(ds.skipped).toEqual([
      { file: 'imgs/missing.png', reason: expect.stringMatching(/^line 3: image file not found/) },
      { file: 'imgs/broken.png', reason: expect.stringMatching(/cannot decode/) },
    ]);
    expect((await sharp(await datasetThumbnail({ kind: 'csv', path: file }, 'imgs/site0.png#L5', 8)).metadata()).format).toBe('png');
  });

  it('names the line of every bad target, and the missing column', async () => {
    const bad = csvAt('bad.csv', 'image,target\nimgs/site0.png,1\nimgs/site1.png,abc\nimgs/site2.png,\nimgs/site3.png,NaN\nimgs/site4.png,1e400\n');
    await expect(openDataset({ kind: 'csv', path: bad }, { n: 5, seed: 1 })).rejects.toThrow(
      /4 bad lines: line 3: target "abc" is not a finite number; line 4: target "" .*; line 5: target "NaN" .*; line 6: target "1e400"/,
    );
    const noTarget = csvAt('nocol.csv', 'image,value\nimgs/site0.png,1\n');
    await expect(openDataset({ kind: 'csv', path: noTarget }, { n: 5, seed: 1 })).rejects.toThrow(/line 1: header has no 'target' column \(found: image, value\)/);
    const noImage = csvAt('noimg.csv', 'file,target\nimgs/site0.png,1\n');
    await expect(openDataset({ kind: 'csv', path: noImage }, { n: 5, seed: 1 })).rejects.toThrow(/no 'image' column/);
    const short = csvAt('short.csv', 'image,target\nimgs/site0.png\n');
    await expect(openDataset({ kind: 'csv', path: short }, { n: 5, seed: 1 })).rejects.toThrow(/line 2: 1 columns/);
  });

  it('refuses image paths that leave the image root, and empty tables', async () => {
    const escape = csvAt('escape.csv', 'image,target\n../etc/passwd.png,1\n/abs/x.png,2\n');
    await expect(openDataset({ kind: 'csv', path: escape }, { n: 5, seed: 1 })).rejects.toThrow(/line 2: path "\.\.\/etc\/passwd\.png" must be relative.*line 3: path "\/abs\/x\.png"/);
    const header = csvAt('header.csv', 'image,target\n');
    await expect(openDataset({ kind: 'csv', path: header }, { n: 5, seed: 1 })).rejects.toThrow(/no usable images in CSV/);
    await expect(openDataset({ kind: 'csv', path: csvAt('empty.csv', '') }, { n: 5, seed: 1 })).rejects.toThrow(/is empty/);
  });
});

describe('.npy source', () => {
  const N = 6;
  const shape = [N, 1, 4, 5];
  const values = Float32Array.from({ length: N * 20 }, (_, i) => i / 10 - 3);
  let file: string;
  beforeAll(() => {
    file = path.join(root, 'x.npy');
    writeNpy(file, values, shape);
  });
  const npyPre: Preprocessing = { width: 5, height: 4, channels: 1, resize: 'pad', scale: 1, mean: [0], std: [1], channelOrder: 'RGB' };

  it('serves rows as they are, sampled by seed, ids npy:i', async () => {
    const ds = await openDataset({ kind: 'npy', path: file }, { n: 3, seed: 2 });
    const again = await openDataset({ kind: 'npy', path: file }, { n: 3, seed: 2 });
    expect(ds.samples).toEqual(again.samples);
    expect(ds.samples).toHaveLength(3);
    const rows = ds.samples.map((s) => Number(s.id.slice(4)));
    expect(rows).toEqual([...rows].sort((a, b) => a - b));
    const batch = await ds.loadBatch(0, 3, npyPre);
    rows.forEach((r, k) => expect(Array.from(batch.subarray(k * 20, (k + 1) * 20))).toEqual(Array.from(values.subarray(r * 20, (r + 1) * 20))));
    const all = await openDataset({ kind: 'npy', path: file }, { n: 50, seed: 2 });
    expect(all.samples.map((s) => s.id)).toEqual(['npy:0', 'npy:1', 'npy:2', 'npy:3', 'npy:4', 'npy:5']);
    expect(all.warnings?.[0]).toMatch(/requested 50 images but .* holds 6/);
    expect(await countClasses({ kind: 'npy', path: file })).toEqual({ [ALL_SAMPLES]: 6 });
    const png = await datasetThumbnail({ kind: 'npy', path: file }, 'npy:2', 10);
    expect((await sharp(png).metadata()).width).toBe(10);
  });

  it('errors clearly when the model wants another shape', async () => {
    const ds = await openDataset({ kind: 'npy', path: file }, { n: 3, seed: 2 });
    await expect(ds.loadBatch(0, 1, { ...npyPre, width: 28, height: 28 })).rejects.toThrow(
      /images are \[C, H, W\] = \[1, 4, 5\] but the model's preprocessing expects \[1, 28, 28\]/,
    );
    await expect(ds.loadBatch(0, 1, { ...npyPre, channels: 3 })).rejects.toThrow(/expects \[3, 4, 5\]/);
  });

  it('refuses arrays that are not image batches', async () => {
    const flat = path.join(root, 'flat.npy');
    writeNpy(flat, new Float32Array(20), [4, 5]);
    await expect(openDataset({ kind: 'npy', path: flat }, { n: 1, seed: 1 })).rejects.toThrow(/shape \[4, 5\] is not \[N, C, H, W\]/);
    await expect(countClasses({ kind: 'npy', path: flat })).rejects.toThrow(/is not \[N, C, H, W\]/);
    const nhwc = path.join(root, 'nhwc.npy');
    writeNpy(nhwc, new Float32Array(2 * 4 * 4 * 3), [2, 4, 4, 3]);
    await expect(openDataset({ kind: 'npy', path: nhwc }, { n: 1, seed: 1 })).rejects.toThrow(/4 channels in \[N, C, H, W\] = \[2, 4, 4, 3\].*is it NHWC/);
    const junk = path.join(root, 'junk.npy');
    writeFileSync(junk, 'not numpy');
    await expect(openDataset({ kind: 'npy', path: junk }, { n: 1, seed: 1 })).rejects.toThrow(/bad magic/);
    await expect(countClasses({ kind: 'npy', path: junk })).rejects.toThrow(/bad magic/);
  });
});
