import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { countClasses, datasetThumbnail, openDataset } from '../../lib/datasets/index';
import type { Preprocessing } from '../../lib/datasets/types';
import { classFiles, corruptPng, encode, hugeHeaderPng, patternImage, patternPixels, tempDir, writeFiles } from '../fixtures/datasets/images';

let root: string;
let data: string;

const identity = (w: number, h: number): Preprocessing => ({
  width: w,
  height: h,
  channels: 3,
  resize: 'stretch',
  scale: 1,
  mean: [0],
  std: [1],
  channelOrder: 'RGB',
});

beforeAll(async () => {
  root = tempDir();
  data = path.join(root, 'pets');
  writeFiles(data, {
    ...(await classFiles({ cats: 20, dogs: 10 })),
    'birds/a.jpg': await patternImage(8, 6, 100, 'jpeg'),
    'birds/b.webp': await patternImage(8, 6, 101, 'webp'),
    'birds/c.gif': await patternImage(8, 6, 102, 'gif'),
    'birds/d.tiff': await patternImage(8, 6, 103, 'tiff'),
    'birds/nested/e.png': await patternImage(8, 6, 104),
    'cats/broken.png': await corruptPng(),
    'dogs/notes.txt': 'not an image',
    'dogs/fake.png': 'plain text with a .png name',
    'dogs/.DS_Store': 'finder metadata',
    'README.md': '# pets',
  });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('image folder source', () => {
  it('uses every decodable image and lists the rest with reasons', async () => {
    const ds = await openDataset({ kind: 'folder', path: data }, { n: 1000, seed: 1 });
    expect(ds.classes).toEqual(['birds', 'cats', 'dogs']);
    expect(ds.samples).toHaveLength(35);
    expect(ds.samples.filter((s) => s.label === 'birds').map((s) => s.id)).toEqual([
      'birds/a.jpg', 'birds/b.webp', 'birds/c.gif', 'birds/d.tiff', 'birds/nested/e.png',
    ]);
    const reasons = Object.fromEntries(ds.skipped.map((s) => [s.file, s.reason]));
    expect(Object.keys(reasons).sort()).toEqual(['README.md', 'cats/broken.png', 'dogs/fake.png', 'dogs/notes.txt']);
    expect(reasons['cats/broken.png']).toMatch(/cannot decode/);
    expect(reasons['dogs/fake.png']).toMatch(/cannot decode/);
    expect(reasons['dogs/notes.txt']).toMatch(/unsupported file type \.txt/);
    expect(reasons['README.md']).toMatch(/not inside a class folder/);
    expect(ds.warnings?.[0]).toMatch(/requested 1000 images but only 35/);
  });

  it('samples one class reproducibly, replacing undecodable draws', async () => {
    const spec = { kind: 'folder' as const, path: data, className: 'cats' };
    const a = await openDataset(spec, { n: 8, seed: 4 });
    const b = await openDataset(spec, { n: 8, seed: 4 });
    const c = await openDataset(spec, { n: 8, seed: 5 });
    expect(a.samples).toEqual(b.samples);
    expect(a.samples).not.toEqual(c.samples);
    expect(a.samples.every((s) => s.label === 'cats' && s.id !== 'cats/broken.png')).toBe(true);
    expect(a.samples).toHaveLength(8);
    expect(a.warnings).toEqual([]);
  });

  it('mixes classes by weight', async () => {
    const ds = await openDataset({ kind: 'folder', path: data, mix: { cats: 3, dogs: 1 } }, { n: 12, seed: 9 });
    expect(ds.samples.filter((s) => s.label === 'cats')).toHaveLength(9);
    expect(ds.samples.filter((s) => s.label === 'dogs')).toHaveLength(3);
    await expect(openDataset({ kind: 'folder', path: data, mix: { cats: 1, cows: 1 } }, { n: 4, seed: 1 })).rejects.toThrow(
      /no class 'cows' \(classes: birds, cats, dogs\)/,
    );
    await expect(openDataset({ kind: 'folder', path: data, className: 'cats', mix: { dogs: 1 } }, { n: 4, seed: 1 })).rejects.toThrow(
      /either a class or a mix/,
    );
  });

  it('decodes PNG exactly and JPEG/WebP/GIF/TIFF to the right size and channel layout', async () => {
    const ds = await openDataset({ kind: 'folder', path: data, className: 'birds' }, { n: 5, seed: 1 });
    const batch = await ds.loadBatch(0, 5, identity(8, 6));
    expect(batch).toHaveLength(5 * 3 * 48);
    const pngIndex = ds.samples.findIndex((s) => s.id === 'birds/nested/e.png');
    const tiffIndex = ds.samples.findIndex((s) => s.id === 'birds/d.tiff');
    for (const [i, k] of [[pngIndex, 104], [tiffIndex, 103]]) {
      const px = patternPixels(8, 6, k);
      const img = batch.subarray(i * 144, (i + 1) * 144);
      // CHW out vs HWC in.
      for (let c = 0; c < 3; c++) for (let p = 0; p < 48; p++) expect(img[c * 48 + p]).toBe(px[p * 3 + c]);
    }
    for (const v of batch) expect(v >= 0 && v <= 255).toBe(true);
  });

  it('replicates a grayscale PNG into three channels and resizes with the model preprocessing', async () => {
    const dir = path.join(root, 'gray');
    const px = Uint8Array.from({ length: 16 }, (_, i) => i * 16);
    writeFiles(dir, { 'g/a.png': await encode(px, 4, 4, 1) });
    const ds = await openDataset({ kind: 'folder', path: dir }, { n: 1, seed: 1 });
    const out = await ds.loadBatch(0, 1, { ...identity(4, 4), scale: 255, mean: [0.5], std: [0.5] });
    for (let c = 0; c < 3; c++) for (let p = 0; p < 16; p++) expect(out[c * 16 + p]).toBeCloseTo((px[p] / 255 - 0.5) / 0.5, 6);
    const small = await ds.loadBatch(0, 1, { ...identity(2, 2), channels: 1 });
    expect(small).toHaveLength(4);
  });

  it('refuses an empty folder, a folder of unusable files and a missing folder with clear errors', async () => {
    const empty = path.join(root, 'empty');
    mkdirSync(path.join(empty, 'cats'), { recursive: true });
    await expect(openDataset({ kind: 'folder', path: empty }, { n: 5, seed: 1 })).rejects.toThrow(/no usable images in folder .*empty, 0 files skipped/);
    const junk = path.join(root, 'junk');
    writeFiles(junk, { 'a/x.png': await corruptPng(), 'a/y.txt': 'text' });
    await expect(openDataset({ kind: 'folder', path: junk }, { n: 5, seed: 1 })).rejects.toThrow(
      /no usable images in folder .*junk, 2 files skipped: a\/y\.txt \(unsupported.*a\/x\.png \(cannot decode/,
    );
    await expect(openDataset({ kind: 'folder', path: path.join(root, 'nope') }, { n: 5, seed: 1 })).rejects.toThrow(/does not exist/);
  });

  it('skips an image whose header claims more pixels than the decode limit, without decoding it', async () => {
    const dir = path.join(root, 'pixelbomb');
    writeFiles(dir, { 'a/huge.png': hugeHeaderPng(), 'a/ok.png': await patternImage(4, 4, 3) });
    const t0 = performance.now();
    const ds = await openDataset({ kind: 'folder', path: dir }, { n: 5, seed: 1 });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(ds.samples.map((s) => s.id)).toEqual(['a/ok.png']);
    expect(ds.skipped).toEqual([{ file: 'a/huge.png', reason: expect.stringMatching(/exceeds pixel limit/) }]);
  });

  it('warns (does not fail) when a selected class folder holds no image', async () => {
    const dir = path.join(root, 'partial');
    writeFiles(dir, { 'a/1.png': await patternImage(4, 4, 1) });
    mkdirSync(path.join(dir, 'b'));
    const ds = await openDataset({ kind: 'folder', path: dir, mix: { a: 1, b: 1 } }, { n: 4, seed: 1 });
    expect(ds.samples.map((s) => s.id)).toEqual(['a/1.png']);
    expect(ds.warnings).toEqual([
      "requested 2 images of class 'a' but only 1 are usable; using all 1",
      "no usable images of class 'b'",
    ]);
  });

  it('follows symlinked images', async () => {
    const dir = path.join(root, 'links');
    writeFiles(dir, { 'a/real.png': await patternImage(4, 4, 2) });
    symlinkSync(path.join(dir, 'a/real.png'), path.join(dir, 'a/link.png'));
    const ds = await openDataset({ kind: 'folder', path: dir }, { n: 5, seed: 1 });
    expect(ds.samples.map((s) => s.id)).toEqual(['a/link.png', 'a/real.png']);
  });

  it('counts classes by file name only and makes thumbnails inside the folder only', async () => {
    expect(await countClasses({ kind: 'folder', path: data })).toEqual({ birds: 5, cats: 21, dogs: 11 });
    const png = await datasetThumbnail({ kind: 'folder', path: data }, 'cats/img003.png', 4);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 4, 3]);
    await expect(datasetThumbnail({ kind: 'folder', path: data }, '../gray/g/a.png', 4)).rejects.toThrow(/must be relative and stay inside/);
    await expect(datasetThumbnail({ kind: 'folder', path: data }, 'dogs/notes.txt', 4)).rejects.toThrow(/not an image sample/);
  });

  it('refuses to load after close', async () => {
    const ds = await openDataset({ kind: 'folder', path: data, className: 'dogs' }, { n: 2, seed: 1 });
    await ds.close();
    await expect(ds.loadBatch(0, 1, identity(8, 6))).rejects.toThrow(/closed/);
  });
});
