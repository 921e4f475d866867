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
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { adminStatement } from '../lib/db/migrate-adapter';
import { machineReport } from './machine';
import { openDataset } from '../lib/datasets/index';
import type { Preprocessing } from '../lib/datasets/types';
import { closeDb, db } from '../lib/db/client';
import { migrateDeploy, PROJECT_ROOT } from '../lib/db/migrate';
import { fromManifest } from '../lib/models/sidecar';
import type { LabContext } from '../lib/server/access';
import { createAnalysis } from '../lib/server/analysis-create';
import { registerDataset } from '../lib/server/datasets';
import { createModelVersion } from '../lib/server/models';
import { signUp } from '../lib/server/signup';
import { stageFiles } from '../lib/server/uploads';
import { closeStore } from '../lib/storage/backend';

const { values } = parseArgs({
  options: { model: { type: 'string', default: 'resnet18-mnist' }, images: { type: 'string', default: '300' }, rounds: { type: 'string', default: '1' } },
});
const MODEL = values.model!;
const IMAGES = Number(values.images);
const ROUNDS = Math.max(1, Number(values.rounds));
const BASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
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

const manifest = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'models/demo/models.json'), 'utf8')) as {
  models: { name: string; file: string; preprocessing: Parameters<typeof fromManifest>[0] }[];
};
const entry = manifest.models.find((m) => m.name === MODEL);
if (!entry) {
  console.error(`unknown model ${MODEL}: one of ${manifest.models.map((m) => m.name).join(', ')}`);
  process.exit(2);
}
const preprocessing: Preprocessing = fromManifest(entry.preprocessing);

/** The dataset as users upload it: an already preprocessed [N, C, H, W] float32 .npy. */
async function writeNpy(file: string): Promise<void> {
  const ds = await openDataset({ kind: 'mnist', split: 'train', digit: DIGIT }, { n: IMAGES, seed: 1 });
  try {
    const data = await ds.loadBatch(0, IMAGES, preprocessing);
    const shape = [IMAGES, preprocessing.channels, preprocessing.height, preprocessing.width];
    let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
    header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
    const head = Buffer.alloc(10);
    Buffer.from('\x93NUMPY', 'latin1').copy(head);
    head[6] = 1;
    head[7] = 0;
    head.writeUInt16LE(header.length, 8);
    writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
  } finally {
    await ds.close();
  }
}

const admin = (sql: string) => adminStatement(BASE_URL, sql);

async function waitFor<T>(f: () => Promise<T | null | false>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function runOnce(backend: Backend, npy: string): Promise<Run> {
  const work = mkdtempSync(path.join(tmpdir(), `pcace-bench-${backend}-`));
  const name = `pcace_bench_storage_${Date.now().toString(36)}_${process.pid}`;
  const url = new URL(BASE_URL);
  url.pathname = `/${name}`;
  await admin(`CREATE DATABASE "${name}"`);
  try {
    await migrateDeploy(url.toString());
    process.env.DATABASE_URL = url.toString();
    process.env.PCACE_STORAGE = backend;
    process.env.STORAGE_DIR = path.join(work, 'storage');
    process.env.PCACE_STORAGE_CACHE_DIR = path.join(work, 'portal-cache');
    process.env.PCACE_NO_SEED = '1';

    const { user, lab } = await signUp({ name: 'Bench Researcher', email: `bench-${backend}@pcace.lab`, password: 'bench storage backends 2026' }, new Headers());
    const ctx: LabContext = { user: { id: user.id, email: user.email, name: user.name }, via: 'session', lab: { id: lab.id, slug: lab.slug, name: lab.name }, role: 'owner' };

    const t0 = performance.now();
    const stagedModel = await stageFiles([{ field: 'file', name: entry!.file, from: path.join(PROJECT_ROOT, 'models/demo', entry!.file) }]);
    const version = await createModelVersion(lab.id, user.id, { name: MODEL, files: stagedModel.files, preprocessing }).finally(() => stagedModel.cleanup());
    const stagedData = await stageFiles([{ field: 'file', name: 'digits.npy', from: npy }]);
    const dataset = await registerDataset(lab.id, user.id, { name: 'digits', kind: 'npy' }, stagedData.files).finally(() => stagedData.cleanup());
    const storeSeconds = (performance.now() - t0) / 1000;

    // A cold fetch of both, as a worker on a new machine does before its first layer.
    let coldFetchSeconds = 0;
    if (backend === 'postgres') {
      const { PostgresStore } = await import('../lib/storage/pg-store');
      const { LocalCache } = await import('../lib/storage/cache');
      const fresh = new PostgresStore(url.toString(), new LocalCache(path.join(work, 'cold-cache')));
      const t1 = performance.now();
      for (const [key, kind] of [
        [version.version.storagePath, 'file'],
        [dataset.storagePath!, 'file'],
      ] as const) {
        await (await fresh.materialise(key, kind)).release();
      }
      coldFetchSeconds = (performance.now() - t1) / 1000;
      await fresh.close();
    }

    const analysis = await createAnalysis(ctx, {
      modelVersionId: version.version.id,
      datasetId: dataset.id,
      target: { kind: 'class', index: DIGIT },
      layers: 'all',
      options: { images: IMAGES },
      title: `bench ${backend}`,
    });
    const id = analysis.id;

    const load = loadavg()[0];
    const started = performance.now();
    const worker = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'workers/main.ts')], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        DATABASE_URL: url.toString(),
        PCACE_STORAGE: backend,
        // With PostgreSQL the worker stands for another machine: no storage dir at all.
        STORAGE_DIR: backend === 'directory' ? path.join(work, 'storage') : path.join(work, 'absent'),
        PCACE_STORAGE_CACHE_DIR: path.join(work, 'worker-cache'),
        PCACE_WORKER_ID: `bench-${backend}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    worker.stdout.on('data', (d) => (log += d));
    worker.stderr.on('data', (d) => (log += d));
    const exited = new Promise((r) => worker.on('exit', r));
    let seconds = 0;
    try {
      await waitFor(
        async () => {
          const a = await db.analysis.findUniqueOrThrow({ where: { id }, select: { status: true, error: true } });
          if (a.status === 'failed') throw new Error(`analysis failed: ${a.error}\n${log}`);
          return a.status === 'completed';
        },
        'the analysis',
        3 * 3600_000,
      );
      // Timed at completion: how long the worker then takes to exit is not the analysis' cost.
      seconds = (performance.now() - started) / 1000;
    } finally {
      worker.kill('SIGTERM');
      await exited;
    }
    const layers = await db.layerResult.count({ where: { analysisId: id } });
    return { backend, seconds, storeSeconds, coldFetchSeconds, layers, load };
  } finally {
    await closeStore();
    await closeDb();
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    rmSync(work, { recursive: true, force: true });
  }
}

const scratch = mkdtempSync(path.join(tmpdir(), 'pcace-bench-npy-'));
const npy = path.join(scratch, 'digits.npy');
await writeNpy(npy);
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
