/**
 * What the benches that drive real workers share: a fresh database with the
 * migrations applied, a .npy of MNIST digits preprocessed for a demo model
 * (what users upload), worker processes, and waiting for a condition.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { adminStatement } from '../lib/db/migrate-adapter';
import { migrateDeploy, PROJECT_ROOT } from '../lib/db/migrate';
import { openDataset } from '../lib/datasets/index';
import type { Preprocessing } from '../lib/datasets/types';
import { fromManifest } from '../lib/models/sidecar';
import type { LabContext } from '../lib/server/access';
import { registerDataset } from '../lib/server/datasets';
import { createModelVersion } from '../lib/server/models';
import { signUp } from '../lib/server/signup';
import { stageFiles } from '../lib/server/uploads';

export const BASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface DemoModel {
  name: string;
  file: string;
  path: string;
  preprocessing: Preprocessing;
}

/** A demo model of models/demo/models.json: its file and preprocessing; exits with the choices when unknown. */
export function demoModel(name: string): DemoModel {
  const manifest = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'models/demo/models.json'), 'utf8')) as {
    models: { name: string; file: string; preprocessing: Parameters<typeof fromManifest>[0] }[];
  };
  const entry = manifest.models.find((m) => m.name === name);
  if (!entry) {
    console.error(`unknown model ${name}: one of ${manifest.models.map((m) => m.name).join(', ')}`);
    process.exit(2);
  }
  return { name, file: entry.file, path: path.join(PROJECT_ROOT, 'models/demo', entry.file), preprocessing: fromManifest(entry.preprocessing) };
}

/** `images` MNIST train digits `digit`, preprocessed, as an [N, C, H, W] float32 .npy (what users upload). */
export async function writeDigitsNpy(file: string, preprocessing: Preprocessing, images: number, digit: number): Promise<void> {
  const ds = await openDataset({ kind: 'mnist', split: 'train', digit }, { n: images, seed: 1 });
  try {
    const data = await ds.loadBatch(0, images, preprocessing);
    const shape = [images, preprocessing.channels, preprocessing.height, preprocessing.width];
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

/** A new database with the migrations applied; drop() removes it. */
export async function freshDatabase(prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}_${process.pid}`;
  const url = new URL(BASE_URL);
  url.pathname = `/${name}`;
  await adminStatement(BASE_URL, `CREATE DATABASE "${name}"`);
  await migrateDeploy(url.toString());
  return { url: url.toString(), drop: () => adminStatement(BASE_URL, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/**
 * A new user's lab (DATABASE_URL and the store as the environment says) with
 * `model` and the .npy `npy` stored through the portal's upload code; the
 * seconds that storing took.
 */
export async function benchLab(email: string, model: DemoModel, npy: string) {
  const { user, lab } = await signUp({ name: 'Bench Researcher', email, password: 'bench portal workers 2026' }, new Headers());
  const ctx: LabContext = { user: { id: user.id, email: user.email, name: user.name }, via: 'session', lab: { id: lab.id, slug: lab.slug, name: lab.name }, role: 'owner' };
  const t0 = performance.now();
  const stagedModel = await stageFiles([{ field: 'file', name: model.file, from: model.path }]);
  const version = await createModelVersion(lab.id, user.id, { name: model.name, files: stagedModel.files, preprocessing: model.preprocessing }).finally(() => stagedModel.cleanup());
  const stagedData = await stageFiles([{ field: 'file', name: 'digits.npy', from: npy }]);
  const dataset = await registerDataset(lab.id, user.id, { name: 'digits', kind: 'npy' }, stagedData.files).finally(() => stagedData.cleanup());
  return { ctx, version: version.version, dataset, storeSeconds: (performance.now() - t0) / 1000 };
}

export async function waitFor<T>(f: () => Promise<T | null | false>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface BenchWorker {
  child: ChildProcess;
  log: () => string;
  /** Each line of its output with when it arrived (performance.now(), ms). */
  lines: () => { at: number; line: string }[];
  /** SIGTERM, then its exit. */
  stop: () => Promise<void>;
}

/** A worker process (`workers/main.ts`) with `env` over this process's environment. */
export function startWorker(env: Record<string, string>): BenchWorker {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'workers/main.ts')], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const lines: { at: number; line: string }[] = [];
  let partial = '';
  const take = (d: Buffer) => {
    log += d;
    const at = performance.now();
    const parts = (partial + d).split('\n');
    partial = parts.pop()!;
    for (const line of parts) lines.push({ at, line });
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const exited = new Promise((r) => child.on('exit', r));
  return {
    child,
    log: () => log,
    lines: () => lines,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
