/**
 * Thumbnails, rendered once by lib/datasets and kept as PNGs in the store,
 * so a repeated request is one read:
 *   - dataset thumbnails: the first THUMBNAILS images of a fixed seeded draw,
 *     thumbnails/<dataset id>/<index>.png;
 *   - sample thumbnails of any image (the analysis pages' pickers), by content:
 *     thumbnails/samples/<dataset sha256 or id>/<sample digest>-<size>.png.
 * Rendering is asynchronous (positioned reads, sharp in its thread pool), and
 * concurrent misses of one file share a single render.
 */
import { buffer } from 'node:stream/consumers';
import type { DatasetSpec } from '../datasets/types';
import { withDatasetSpec } from '../storage/resolve';
import { getStore } from '../storage/backend';
import { joinKey, StorageNotFound } from '../storage/store';
import { notFound } from './errors';
import { sha256 } from '../storage/files';

export const THUMBNAILS = 16;
const SIZE = 64;

const rendering = new Map<string, Promise<Buffer>>();

/** The PNG at storage key `rel`, rendered and stored first when missing. */
export async function cachedPng(rel: string, render: () => Promise<Buffer>): Promise<Buffer> {
  const store = await getStore();
  try {
    return await buffer(await store.get(rel));
  } catch (err) {
    if (!(err instanceof StorageNotFound)) throw err;
  }
  let pending = rendering.get(rel);
  if (!pending) {
    pending = (async () => {
      const png = await render();
      // Every store makes a put visible only once complete: a reader never sees half a file.
      await store.put(rel, png).catch((err) => console.error('[thumbnails] could not cache', rel, (err as Error).message));
      return png;
    })().finally(() => rendering.delete(rel));
    rendering.set(rel, pending);
  }
  return pending;
}

/** Storage path of a sample thumbnail: the same image of the same content at the same size is one file. */
export function sampleThumbnailPath(dataset: { id: string; sha256: string | null }, sampleId: string, size: number): string {
  return joinKey('thumbnails', 'samples', dataset.sha256 ?? dataset.id, `${sha256(new TextEncoder().encode(sampleId)).slice(0, 32)}-${size}.png`);
}

/** PNG of one sample of a dataset (an id from its draw), cached on disk. */
export async function sampleThumbnailPng(dataset: { id: string; sha256: string | null; spec: unknown }, sampleId: string, size: number): Promise<Buffer> {
  return cachedPng(sampleThumbnailPath(dataset, sampleId, size), async () => {
    const { datasetThumbnail } = await import('../datasets/index');
    return withDatasetSpec(dataset.spec as DatasetSpec, (spec) => datasetThumbnail(spec, sampleId, size));
  });
}

export async function datasetThumbnailPng(dataset: { id: string; spec: unknown }, index: number): Promise<Buffer> {
  if (!Number.isInteger(index) || index < 0 || index >= THUMBNAILS) throw notFound(`thumbnail ${index} does not exist (0..${THUMBNAILS - 1})`);
  return cachedPng(joinKey('thumbnails', dataset.id, `${index}.png`), async () => {
    const ds = await import('../datasets/index');
    return withDatasetSpec(dataset.spec as DatasetSpec, async (spec) => {
      const opened = await ds.openDataset(spec, { n: THUMBNAILS, seed: 1 });
      try {
        const sample = opened.samples[index];
        if (!sample) throw notFound(`the dataset has only ${opened.samples.length} images`);
        return await ds.datasetThumbnail(spec, sample.id, SIZE);
      } finally {
        await opened.close();
      }
    });
  });
}
