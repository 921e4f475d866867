/**
 * A whole-network analysis with its model and dataset stored in PostgreSQL
 * (large objects) against the same analysis with them in a directory, timed
 * in the same run. Each run gets a fresh database, uploads the demo model and
 * a .npy dataset of MNIST digits (preprocessed for the model) through the
 * portal's upload code, queues the analysis (every conv layer, defaults) and
 * starts one worker process with a cold local cache; the time is from the
 * worker's start to the analysis' completion. With PostgreSQL that worker
 * gets a STORAGE_DIR that does not exist, so everything it opens came out of
 * the database. Runs alternate (directory, postgres, postgres, directory, …)
 * so a drift in machine load hits both alike.
 *
 *   npx tsx bench/storage-backends.ts [--model resnet18-mnist|mnist-cnn|vgg16-mnist] [--images 300] [--rounds 1]
 *
 * Also timed on their own, outside the analysis: storing the model and the
 * dataset, and a cold fetch of both into an empty cache (what a new worker
 * machine pays once per analysis).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { machineReport } from './machine';
import { benchLab, demoModel, freshDatabase, startWorker, waitFor, writeDigitsNpy } from './portal-fixture';
import { closeDb, db } from '../lib/db/client';
import { createAnalysis } from '../lib/server/analysis-create';
import { closeStore } from '../lib/storage/backend';

const { values } = parseArgs({
  options: { model: { type: 'string', default: 'resnet18-mnist' }, images: { type: 'string', default: '300' }, rounds: { type: 'string', default: '1' } },
});
const MODEL = values.model!;
const IMAGES = Number(values.images);
const ROUNDS = Math.max(1, Number(values.rounds));
const DIGIT = 3;

type Backend = 'directory' | 'postgres';

interface Run {
  backend: Backend;
  /** Worker start → analysis completed. */
  seconds: number;
  /** Storing the model and the dataset through the upload code. */
  storeSeconds: number;
  /** Both fetched into an empty local cache (0 for the directory: its files are opened in place). */
  coldFetchSeconds: number;
  layers: number;
  load: number;
}

const entry = demoModel(MODEL);
const preprocessing = entry.preprocessing;

async function runOnce(backend: Backend, npy: string): Promise<Run> {
  const work = mkdtempSync(path.join(tmpdir(), `pcace-bench-${backend}-`));
  const fresh = await freshDatabase('pcace_bench_storage');
  const url = new URL(fresh.url);
  try {
    process.env.DATABASE_URL = url.toString();
    process.env.PCACE_STORAGE = backend;
    process.env.STORAGE_DIR = path.join(work, 'storage');
    process.env.PCACE_STORAGE_CACHE_DIR = path.join(work, 'portal-cache');
    process.env.PCACE_NO_SEED = '1';

    const { ctx, version, dataset, storeSeconds } = await benchLab(`bench-${backend}@pcace.lab`, entry, npy);

    // A cold fetch of both, as a worker on a new machine does before its first layer.
    let coldFetchSeconds = 0;
    if (backend === 'postgres') {
      const { PostgresStore } = await import('../lib/storage/pg-store');
      const { LocalCache } = await import('../lib/storage/cache');
      const store = new PostgresStore(url.toString(), new LocalCache(path.join(work, 'cold-cache')));
      const t1 = performance.now();
      for (const [key, kind] of [
        [version.storagePath, 'file'],
        [dataset.storagePath!, 'file'],
      ] as const) {
        await (await store.materialise(key, kind)).release();
      }
      coldFetchSeconds = (performance.now() - t1) / 1000;
      await store.close();
    }

    const analysis = await createAnalysis(ctx, {
      modelVersionId: version.id,
      datasetId: dataset.id,
      target: { kind: 'class', index: DIGIT },
      layers: 'all',
      options: { images: IMAGES },
      title: `bench ${backend}`,
    });
    const id = analysis.id;

    const load = loadavg()[0];
    const started = performance.now();
    const worker = startWorker({
      DATABASE_URL: url.toString(),
      PCACE_STORAGE: backend,
      // With PostgreSQL the worker stands for another machine: no storage dir at all.
      STORAGE_DIR: backend === 'directory' ? path.join(work, 'storage') : path.join(work, 'absent'),
      PCACE_STORAGE_CACHE_DIR: path.join(work, 'worker-cache'),
      PCACE_WORKER_ID: `bench-${backend}`,
    });
    let seconds = 0;
    try {
      await waitFor(
        async () => {
          const a = await db.analysis.findUniqueOrThrow({ where: { id }, select: { status: true, error: true } });
          if (a.status === 'failed') throw new Error(`analysis failed: ${a.error}\n${worker.log()}`);
          return a.status === 'completed';
        },
        'the analysis',
        3 * 3600_000,
      );
      // Timed at completion: how long the worker then takes to exit is not the analysis' cost.
      seconds = (performance.now() - started) / 1000;
    } finally {
      await worker.stop();
    }
    const layers = await db.layerResult.count({ where: { analysisId: id } });
    return { backend, seconds, storeSeconds, coldFetchSeconds, layers, load };
  } finally {
    await closeStore();
    await closeDb();
    await fresh.drop();
    rmSync(work, { recursive: true, force: true });
  }
}

const scratch = mkdtempSync(path.join(tmpdir(), 'pcace-bench-npy-'));
const npy = path.join(scratch, 'digits.npy');
await writeDigitsNpy(npy, preprocessing, IMAGES, DIGIT);
console.log(machineReport({ model: `${MODEL} (models/demo), every conv layer, defaults`, images: `${IMAGES} MNIST train digits ${DIGIT}, uploaded as .npy (${(readFileSync(npy).length / 2 ** 20).toFixed(1)} MB)` }));
console.log(`load average at start: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);

const order: Backend[] = [];
for (let r = 0; r < ROUNDS; r++) order.push(...(r % 2 === 0 ? (['directory', 'postgres'] as const) : (['postgres', 'directory'] as const)));
const runs: Run[] = [];
for (const backend of order) {
  const r = await runOnce(backend, npy);
  runs.push(r);
  console.log(
    `${backend.padEnd(9)} analysis ${r.seconds.toFixed(1)} s (${r.layers} layers, load ${r.load.toFixed(1)}); storing model + dataset ${r.storeSeconds.toFixed(2)} s; cold fetch ${r.coldFetchSeconds.toFixed(2)} s`,
  );
}
const mean = (b: Backend, f: (r: Run) => number) => {
  const xs = runs.filter((r) => r.backend === b).map(f);
  return xs.reduce((s, x) => s + x, 0) / xs.length;
};
const dir = mean('directory', (r) => r.seconds);
const pgs = mean('postgres', (r) => r.seconds);
console.log(`\nmean analysis time: directory ${dir.toFixed(1)} s, postgres ${pgs.toFixed(1)} s; postgres / directory = ${(pgs / dir).toFixed(3)}`);
console.log(`load average at end: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
rmSync(scratch, { recursive: true, force: true });
