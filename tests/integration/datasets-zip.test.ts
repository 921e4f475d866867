import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { countClasses, datasetThumbnail, DatasetRefusedError, DEFAULT_ZIP_LIMITS, openDataset } from '../../lib/datasets/index';
import type { Preprocessing } from '../../lib/datasets/types';
import { classFiles, corruptPng, patternImage, tempDir, writeFiles } from '../fixtures/datasets/images';
import { buildZip, type ZipEntrySpec } from '../fixtures/datasets/zip-writer';

let root: string;
let files: Record<string, Buffer>;
const pre: Preprocessing = { width: 8, height: 6, channels: 3, resize: 'stretch', scale: 255, mean: [0.5], std: [0.25], channelOrder: 'RGB' };

function zipAt(name: string, entries: ZipEntrySpec[]): string {
  const file = path.join(root, name);
  writeFileSync(file, buildZip(entries));
  return file;
}

const entriesOf = (prefix: string, f: Record<string, Uint8Array>, method: 0 | 8 = 8): ZipEntrySpec[] =>
  Object.entries(f).map(([name, data]) => ({ name: prefix + name, data, method }));

beforeAll(async () => {
  root = tempDir();
  files = await classFiles({ cats: 6, dogs: 6 });
  writeFiles(path.join(root, 'folder'), files);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('zip source', () => {
  it('reads a folder-per-class archive and decodes the same pixels as the folder', async () => {
    const zip = zipAt('plain.zip', [{ name: 'cats/' }, { name: 'dogs/' }, ...entriesOf('', files)]);
    const z = await openDataset({ kind: 'zip', path: zip }, { n: 100, seed: 3 });
    const f = await openDataset({ kind: 'folder', path: path.join(root, 'folder') }, { n: 100, seed: 3 });
    expect(z.classes).toEqual(['cats', 'dogs']);
    expect(z.samples).toEqual(f.samples);
    expect(await z.loadBatch(0, 12, pre)).toEqual(await f.loadBatch(0, 12, pre));
    await z.close();
  });

  it('tolerates one wrapping folder, stored entries and OS clutter', async () => {
    const zip = zipAt('wrapped.zip', [
      ...entriesOf('pets/', files, 0),
      { name: '__MACOSX/pets/cats/._img000.png', data: new Uint8Array([0, 5, 22]) },
      { name: 'pets/.DS_Store', data: new Uint8Array([1]) },
      { name: 'pets/dogs/readme.txt', data: Buffer.from('hi') },
    ]);
    const ds = await openDataset({ kind: 'zip', path: zip, className: 'dogs' }, { n: 3, seed: 1 });
    expect(ds.classes).toEqual(['cats', 'dogs']);
    expect(ds.samples).toHaveLength(3);
    expect(ds.samples.every((s) => s.label === 'dogs' && s.id.startsWith('pets/dogs/img'))).toBe(true);
    expect(ds.skipped).toEqual([{ file: 'pets/dogs/readme.txt', reason: expect.stringMatching(/unsupported file type \.txt/) }]);
    const again = await openDataset({ kind: 'zip', path: zip, className: 'dogs' }, { n: 3, seed: 1 });
    expect(again.samples).toEqual(ds.samples);
    expect(await countClasses({ kind: 'zip', path: zip })).toEqual({ cats: 6, dogs: 6 });
    const png = await datasetThumbnail({ kind: 'zip', path: zip }, ds.samples[0].id, 16);
    expect((await sharp(png).metadata()).width).toBe(16);
    await Promise.all([ds.close(), again.close()]);
  });

  it('mixes classes and skips corrupt entries', async () => {
    const zip = zipAt('mixed.zip', [...entriesOf('', files), { name: 'cats/zz-broken.png', data: await corruptPng() }]);
    const ds = await openDataset({ kind: 'zip', path: zip, mix: { cats: 2, dogs: 1 } }, { n: 9, seed: 2 });
    expect(ds.samples.filter((s) => s.label === 'cats')).toHaveLength(6);
    expect(ds.samples.filter((s) => s.label === 'dogs')).toHaveLength(3);
    expect(ds.skipped.map((s) => s.file)).toEqual(['cats/zz-broken.png']);
    expect(ds.skipped[0].reason).toMatch(/cannot decode/);
    await ds.close();
  });

  it.each([
    ['../evil.png', /entry "\.\.\/evil\.png" contains a '\.\.' segment/],
    ['cats/../../evil.png', /entry "cats\/\.\.\/\.\.\/evil\.png"/],
    ['..\\evil.png', /entry "\.\.\/evil\.png"/],
    ['/etc/evil.png', /entry "\/etc\/evil\.png" is an absolute path/],
    ['C:/evil.png', /entry "C:\/evil\.png" starts with a drive letter/],
  ])('refuses the archive for the entry %s', async (name, message) => {
    const img = await patternImage(4, 4, 1);
    const zip = zipAt('evil.zip', [{ name: 'cats/ok.png', data: img }, { name, data: img }]);
    const err = await openDataset({ kind: 'zip', path: zip }, { n: 5, seed: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetRefusedError);
    expect((err as Error).message).toMatch(message);
    await expect(countClasses({ kind: 'zip', path: zip })).rejects.toThrow(message);
  });

  it('refuses a zip bomb from its headers, fast', async () => {
    const bomb = new Uint8Array(64 * 1024 * 1024); // deflates ~1000:1
    const zip = zipAt('bomb.zip', [{ name: 'cats/ok.png', data: await patternImage(4, 4, 1) }, { name: 'cats/bomb.png', data: bomb }]);
    const t0 = performance.now();
    await expect(openDataset({ kind: 'zip', path: zip }, { n: 5, seed: 1 })).rejects.toThrow(
      /refused: entry "cats\/bomb\.png" has compression ratio \d+ \(limit 100\)/,
    );
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('refuses a bomb whose headers lie, while streaming, before inflating it', async () => {
    // Declared 4 KiB uncompressed: the header checks pass, the inflater would produce 64 MiB.
    const zip = zipAt('liar.zip', [
      { name: 'cats/ok.png', data: await patternImage(4, 4, 1) },
      { name: 'cats/liar.png', data: new Uint8Array(64 * 1024 * 1024), declaredSize: 4096 },
    ]);
    const t0 = performance.now();
    const err = await openDataset({ kind: 'zip', path: zip }, { n: 5, seed: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetRefusedError);
    expect((err as Error).message).toMatch(/entry "cats\/liar\.png" inflates past its declared size of 4096 bytes/);
    expect(performance.now() - t0).toBeLessThan(1000);
    await expect(datasetThumbnail({ kind: 'zip', path: zip }, 'cats/liar.png', 8)).rejects.toThrow(/inflates past/);
  });

  it('enforces configurable entry-count, total-size, entry-size and ratio limits', async () => {
    const zip = zipAt('limits.zip', entriesOf('', files));
    const open = (zipLimits: object) => openDataset({ kind: 'zip', path: zip }, { n: 5, seed: 1, zipLimits });
    await expect(open({ maxEntries: 5 })).rejects.toThrow(/12 entries \(limit 5\)/);
    const total = Object.values(files).reduce((s, b) => s + b.length, 0);
    await expect(open({ maxTotalBytes: total - 1 })).rejects.toThrow(/declare more than/);
    const small = await open({ maxEntryBytes: 10 }).catch((e: Error) => e);
    expect((small as Error).message).toMatch(/no usable images in zip .*12 files skipped.*larger than 10 bytes/);
    const flat = zipAt('flat.zip', [{ name: 'a/flat.tiff', data: new Uint8Array(4096) }, { name: 'a/ok.png', data: files['cats/img000.png'] }]);
    await expect(
      openDataset({ kind: 'zip', path: flat }, { n: 5, seed: 1, zipLimits: { ratioCheckAfterBytes: 1024, maxCompressionRatio: 10 } }),
    ).rejects.toThrow(/"a\/flat\.tiff" has compression ratio/);
    // Below the ratio floor a highly compressible entry is harmless and only fails to decode.
    const ok = await openDataset({ kind: 'zip', path: flat }, { n: 5, seed: 1 });
    expect(ok.skipped.map((s) => s.file)).toEqual(['a/flat.tiff']);
    await ok.close();
    await expect(open({ maxEntries: -1 })).rejects.toThrow(/maxEntries must be a number/);
    expect(DEFAULT_ZIP_LIMITS).toMatchObject({ maxEntries: 100_000, maxCompressionRatio: 100 });
  });

  it('reports files that are not zips, and entries outside class folders', async () => {
    const notZip = path.join(root, 'fake.zip');
    writeFileSync(notZip, 'hello');
    await expect(openDataset({ kind: 'zip', path: notZip }, { n: 1, seed: 1 })).rejects.toThrow(/zip .*fake\.zip: cannot open/);
    const loose = zipAt('loose.zip', [{ name: 'top.png', data: files['cats/img000.png'] }]);
    await expect(openDataset({ kind: 'zip', path: loose }, { n: 1, seed: 1 })).rejects.toThrow(
      /no usable images in zip .*1 files skipped: top\.png \(not inside a class folder\)/,
    );
  });
});
