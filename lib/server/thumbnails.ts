/**
 * Dataset thumbnails: the first THUMBNAILS images of a fixed seeded draw,
 * rendered once by lib/datasets and cached as PNG files in the storage dir.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DatasetSpec } from '../datasets/types';
import { resolveDatasetSpec } from './datasets';
import { notFound } from './errors';
import { storagePath } from './storage';

export const THUMBNAILS = 16;
const SIZE = 64;

export async function datasetThumbnailPng(dataset: { id: string; spec: unknown }, index: number): Promise<Buffer> {
  if (!Number.isInteger(index) || index < 0 || index >= THUMBNAILS) throw notFound(`thumbnail ${index} does not exist (0..${THUMBNAILS - 1})`);
  const file = storagePath(path.join('thumbnails', dataset.id, `${index}.png`));
  if (existsSync(file)) return readFile(file);
  const ds = await import('../datasets/index');
  const spec = resolveDatasetSpec(dataset.spec as DatasetSpec);
  const opened = await ds.openDataset(spec, { n: THUMBNAILS, seed: 1 });
  try {
    const sample = opened.samples[index];
    if (!sample) throw notFound(`the dataset has only ${opened.samples.length} images`);
    const png = await ds.datasetThumbnail(spec, sample.id, SIZE);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, png);
    return png;
  } finally {
    await opened.close();
  }
}
