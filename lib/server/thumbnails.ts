/**
 * Thumbnails, rendered once by lib/datasets and kept as PNG files in the
 * storage dir, so a repeated request is one file read:
 *   - dataset thumbnails: the first THUMBNAILS images of a fixed seeded draw,
 *     thumbnails/<dataset id>/<index>.png;
 *   - sample thumbnails of any image (the analysis pages' pickers), by content:
 *     thumbnails/samples/<dataset sha256 or id>/<sample digest>-<size>.png.
 * Rendering is asynchronous (positioned reads, sharp in its thread pool), and
 * concurrent misses of one file share a single render.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DatasetSpec } from '../datasets/types';
import { resolveDatasetSpec } from '../storage/resolve';
import { notFound } from './errors';
import { sha256, storagePath } from '../storage/files';

export const THUMBNAILS = 16;
const SIZE = 64;

const rendering = new Map<string, Promise<Buffer>>();

/** The PNG at storage path `rel`, rendered and stored first when missing. */
export async function cachedPng(rel: string, render: () => Promise<Buffer>): Promise<Buffer> {
  const file = storagePath(rel);
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  let pending = rendering.get(file);
  if (!pending) {
    pending = (async () => {
      const png = await render();
      // Written beside and renamed into place: a reader never sees half a file.
      const temp = `${file}.${randomUUID()}.tmp`;
      try {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(temp, png);
        await rename(temp, file);
      } catch (err) {
        await rm(temp, { force: true });
        console.error('[thumbnails] could not cache', rel, (err as Error).message);
      }
      return png;
    })().finally(() => rendering.delete(file));
    rendering.set(file, pending);
  }
  return pending;
}

/** Storage path of a sample thumbnail: the same image of the same content at the same size is one file. */
export function sampleThumbnailPath(dataset: { id: string; sha256: string | null }, sampleId: string, size: number): string {
  return path.join('thumbnails', 'samples', dataset.sha256 ?? dataset.id, `${sha256(new TextEncoder().encode(sampleId)).slice(0, 32)}-${size}.png`);
}

/** PNG of one sample of a dataset (an id from its draw), cached on disk. */
export async function sampleThumbnailPng(dataset: { id: string; sha256: string | null; spec: unknown }, sampleId: string, size: number): Promise<Buffer> {
  return cachedPng(sampleThumbnailPath(dataset, sampleId, size), async () => {
    const { datasetThumbnail } = await import('../datasets/index');
    return datasetThumbnail(resolveDatasetSpec(dataset.spec as DatasetSpec), sampleId, size);
  });
}

export async function datasetThumbnailPng(dataset: { id: string; spec: unknown }, index: number): Promise<Buffer> {
  if (!Number.isInteger(index) || index < 0 || index >= THUMBNAILS) throw notFound(`thumbnail ${index} does not exist (0..${THUMBNAILS - 1})`);
  return cachedPng(path.join('thumbnails', dataset.id, `${index}.png`), async () => {
    const ds = await import('../datasets/index');
    const spec = resolveDatasetSpec(dataset.spec as DatasetSpec);
    const opened = await ds.openDataset(spec, { n: THUMBNAILS, seed: 1 });
    try {
      const sample = opened.samples[index];
      if (!sample) throw notFound(`the dataset has only ${opened.samples.length} images`);
      return await ds.datasetThumbnail(spec, sample.id, SIZE);
    } finally {
      await opened.close();
    }
  });
}
