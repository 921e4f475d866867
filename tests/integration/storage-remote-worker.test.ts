/**
 * PCACE_STORAGE=postgres through the real path: uploads through the API
 * routes stream into large objects (nothing lands in the storage dir), a
 * worker standing for another machine — its own empty temp folders, a
 * STORAGE_DIR that does not exist, only DATABASE_URL shared — completes an
 * analysis from what it fetches out of the database, thumbnails are cached
 * in the database, a refused upload leaves nothing, and deleting a dataset
 * frees its large object.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRoute, fileBlob, formOf, useTestDatabase } from '../helpers/db';
import { setEnv } from '../helpers/env';
import { analysisCompleted, labOwner, MNIST_CNN_ONNX, queueAnalysis, uploadMnistCnn, type MnistLab } from '../helpers/lab-fixture';
import { PIPELINE_DIR } from '../helpers/reference';
import { filesUnder } from '../helpers/upload';
import { startWorker, type WorkerProcess } from '../helpers/worker-process';
import * as datasetsRoute from '../../app/api/v1/labs/[lab]/datasets/route';
import * as datasetRoute from '../../app/api/v1/labs/[lab]/datasets/[datasetId]/route';
import * as modelsRoute from '../../app/api/v1/labs/[lab]/models/route';
import * as thumbRoute from '../../app/api/v1/labs/[lab]/datasets/[datasetId]/thumbnails/[sample]/route';
import { db } from '../../lib/db/client';
import { LocalCache } from '../../lib/storage/cache';
import { PostgresStore } from '../../lib/storage/pg-store';

const testDb = useTestDatabase();
const NPY = path.join(PIPELINE_DIR, 'inputs_digit3.npy');
const machine = mkdtempSync(path.join(tmpdir(), 'pcace-other-machine-'));
const portalCache = mkdtempSync(path.join(tmpdir(), 'pcace-portal-cache-'));
let restoreEnv = () => {};
let lab: MnistLab;
let worker: WorkerProcess | undefined;

const largeObjects = async () => Number((await db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM pg_largeobject_metadata`)[0].n);
const keys = async () => (await db.storageObject.findMany({ orderBy: { key: 'asc' } })).map((o) => o.key);

async function uploadNpy(name: string, bytes: Buffer) {
  const res = await callRoute(datasetsRoute.POST as never, '', {
    token: lab.token,
    params: { lab: lab.slug },
    form: formOf({ name, kind: 'npy', file: [fileBlob(bytes), `${name}.npy`] }),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.dataset as { id: string; sha256: string };
}

beforeAll(async () => {
  restoreEnv = setEnv({ PCACE_STORAGE: 'postgres', PCACE_STORAGE_CACHE_DIR: portalCache });
  const owner = await labOwner({ name: 'Remote', email: 'remote@example.org', password: 'remote-storage-1' });
  lab = { ...owner, versionId: '', datasetId: '' };
  lab.versionId = await uploadMnistCnn(owner.token, owner.slug);
  lab.datasetId = (await uploadNpy('threes', readFileSync(NPY))).id;
});

afterAll(async () => {
  if (worker && worker.child.exitCode === null) {
    worker.child.kill('SIGTERM');
    await worker.exited;
  }
  restoreEnv();
  rmSync(machine, { recursive: true, force: true });
  rmSync(portalCache, { recursive: true, force: true });
});

describe('storage in PostgreSQL', () => {
  it('stores uploads as large objects, not in the storage dir, and they round-trip', async () => {
    const version = await db.modelVersion.findUniqueOrThrow({ where: { id: lab.versionId } });
    const dataset = await db.dataset.findUniqueOrThrow({ where: { id: lab.datasetId } });
    expect(await keys()).toEqual([dataset.storagePath, version.storagePath].sort());
    expect(filesUnder(testDb.current.storageDir)).toEqual([]);
    // Read back by a store with a cache of its own, as another machine would.
    const other = new PostgresStore(testDb.current.url, new LocalCache(path.join(machine, 'check-cache')));
    try {
      expect((await buffer(await other.get(version.storagePath))).equals(readFileSync(MNIST_CNN_ONNX))).toBe(true);
      const copy = await other.materialise(dataset.storagePath!, 'file');
      expect(readFileSync(copy.path).equals(readFileSync(NPY))).toBe(true);
      await copy.release();
    } finally {
      await other.close();
    }
  });

  it('runs an analysis on a worker that shares only the database', async () => {
    const id = await queueAnalysis(lab, { options: { images: 60, crossFitRepeats: 1, permutations: 10 } });
    const noStorageDir = path.join(machine, 'no-storage-dir');
    worker = startWorker(
      {
        DATABASE_URL: testDb.current.url,
        PCACE_STORAGE: 'postgres',
        STORAGE_DIR: noStorageDir,
        PCACE_DATA_DIR: path.join(machine, 'data'),
        PCACE_STORAGE_CACHE_DIR: path.join(machine, 'cache'),
        PCACE_SPILL_DIR: path.join(machine, 'spill'),
        TMPDIR: machine,
      },
      'w-remote',
    );
    try {
      await analysisCompleted(id, 280_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${worker.output()}`);
    }
    const layers = await db.layerResult.findMany({ where: { analysisId: id }, orderBy: { index: 'asc' }, include: { _count: { select: { channels: true } } } });
    expect(layers.map((l) => [l.name, l._count.channels])).toEqual([
      ['conv1', 32],
      ['conv2', 64],
    ]);
    expect(existsSync(noStorageDir)).toBe(false);
    // The model and the dataset came out of the database into the worker's cache, once each.
    const entries = readdirSync(path.join(machine, 'cache', 'entries'));
    expect(entries).toHaveLength(2);
    const copies = entries.flatMap((e) => readdirSync(path.join(machine, 'cache', 'entries', e, 'data'))).sort();
    const version = await db.modelVersion.findUniqueOrThrow({ where: { id: lab.versionId } });
    const dataset = await db.dataset.findUniqueOrThrow({ where: { id: lab.datasetId } });
    expect(copies).toEqual([path.posix.basename(dataset.storagePath!), path.posix.basename(version.storagePath)].sort());
    }, 300_000);

  it('caches thumbnails in the database', async () => {
    const req = new Request('http://localhost:3000/x', { headers: { authorization: `Bearer ${lab.token}` } });
    const res = await thumbRoute.GET(req as never, { params: Promise.resolve({ lab: lab.slug, datasetId: lab.datasetId, sample: '0' }) } as never);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG');
    expect(await keys()).toContain(`thumbnails/${lab.datasetId}/0.png`);
    expect(filesUnder(testDb.current.storageDir)).toEqual([]);
  });

  it('leaves nothing for a refused upload, and frees a deleted dataset', async () => {
    const before = { los: await largeObjects(), keys: await keys() };
    const refused = await callRoute(modelsRoute.POST as never, '', {
      token: lab.token,
      params: { lab: lab.slug },
      form: formOf({ name: 'broken', file: [fileBlob('not an onnx model'), 'broken.onnx'] }),
    });
    expect(refused.status).toBe(400);
    expect({ los: await largeObjects(), keys: await keys() }).toEqual(before);
    expect(readdirSync(path.join(portalCache, 'uploads'))).toEqual([]);

    // Another content: one more large object, gone again with the dataset.
    const other = readFileSync(NPY);
    other[other.length - 4] ^= 0x01;
    const d = await uploadNpy('changed', other);
    expect(await largeObjects()).toBe(before.los + 1);
    const del = await callRoute(datasetRoute.DELETE as never, '', { method: 'DELETE', token: lab.token, params: { lab: lab.slug, datasetId: d.id } });
    expect(del.status, JSON.stringify(del.body)).toBe(204);
    expect({ los: await largeObjects(), keys: await keys() }).toEqual(before);

    // The same content as a dataset in use: stored once, and deleting the copy keeps the original's bytes.
    const copy = await uploadNpy('threes-again', readFileSync(NPY));
    expect(await largeObjects()).toBe(before.los);
    const delCopy = await callRoute(datasetRoute.DELETE as never, '', { method: 'DELETE', token: lab.token, params: { lab: lab.slug, datasetId: copy.id } });
    expect(delCopy.status).toBe(204);
    expect(await largeObjects()).toBe(before.los);
    expect(await keys()).toEqual(before.keys);
  });
});
