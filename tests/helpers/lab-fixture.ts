/**
 * Labs for API tests, made through the real sign-up and the real upload
 * routes (so the rows are the ones users get): a lab owner with an API token,
 * the same lab holding the MNIST CNN of tests/reference/pipeline and a
 * built-in MNIST dataset, analyses queued over the API, waiting for an
 * analysis to finish on a worker and reading its results; and members made
 * straight in the database for tests that need only the rows.
 *
 *   const lab = await mnistCnnLab({ name: 'Queue', email: 'queue@example.org', password: 'queue-password-1' });
 *   const id = await queueAnalysis(lab, { layers: ['conv1'], options: { images: 20 } });
 *   await analysisCompleted(id);
 *   const layers = await resultLayers(lab, id);
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { callRoute, fileBlob, formOf } from './db';
import { PIPELINE_DIR } from './reference';
import { waitFor, type workerPool } from './worker-process';
import * as analysesRoute from '../../app/api/v1/labs/[lab]/analyses/route';
import * as resultsRoute from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/results/route';
import * as datasetsRoute from '../../app/api/v1/labs/[lab]/datasets/route';
import * as modelsRoute from '../../app/api/v1/labs/[lab]/models/route';
import { db } from '../../lib/db/client';
import { createApiToken } from '../../lib/server/labs';
import { fromManifest } from '../../lib/models/sidecar';
import { signUp } from '../../lib/server/signup';
import type { StoredLayerView } from '../../lib/server/shared/payloads';

export interface Person {
  name: string;
  email: string;
  password: string;
}

export interface LabOwner {
  user: Awaited<ReturnType<typeof signUp>>['user'];
  lab: Awaited<ReturnType<typeof signUp>>['lab'];
  slug: string;
  /** An API token of the owner (all scopes). */
  token: string;
}

/** A new user with their own lab (as sign-up makes it) and an API token. */
export async function labOwner(who: Person): Promise<LabOwner> {
  const { user, lab } = await signUp(who, new Headers());
  const token = (await createApiToken(user.id, 'tests')).token;
  return { user, lab, slug: lab.slug, token };
}

/** `who` signs up (a lab of their own, as sign-up makes it) and joins lab `labId` as `role`; returns their user id. */
export async function joinLab(labId: string, who: Person, role: Role): Promise<string> {
  const { user } = await signUp(who, new Headers());
  await db.membership.create({ data: { labId, userId: user.id, role } });
  return user.id;
}

type Role = 'owner' | 'member' | 'viewer';

/**
 * Members made straight in the database (no password, no lab of their own), for
 * tests that only need the rows: each [key, name, role] of `people` becomes a user
 * (`email(key)`, key@example.org by default) in lab `labId`; returns their ids by key.
 */
export async function seedMembers<K extends string>(labId: string, people: readonly (readonly [K, string, Role])[], email = (key: K) => `${key}@example.org`): Promise<Record<K, string>> {
  const ids = {} as Record<K, string>;
  for (const [key, name, role] of people) {
    const u = await db.user.create({ data: { email: email(key), name } });
    await db.membership.create({ data: { labId, userId: u.id, role } });
    ids[key] = u.id;
  }
  return ids;
}

/** The MNIST CNN the published pipeline was run on (conv1: 32 channels, conv2: 64). */
export const MNIST_CNN_ONNX = path.join(PIPELINE_DIR, 'mnist_cnn.onnx');

/** `token` uploads the MNIST CNN as 'mnist-cnn' to `slug`; returns the new version's id. */
export async function uploadMnistCnn(token: string, slug: string): Promise<string> {
  const m = await callRoute(modelsRoute.POST as never, '', {
    token,
    params: { lab: slug },
    form: formOf({ name: 'mnist-cnn', file: [fileBlob(readFileSync(MNIST_CNN_ONNX)), 'm.onnx'] }),
  });
  expect(m.status, JSON.stringify(m.body)).toBe(201);
  return m.body.version.id;
}

/** `token` registers the built-in MNIST test images of digit 3 as 'threes'; returns the dataset's id. */
export async function registerThrees(token: string, slug: string): Promise<string> {
  const d = await callRoute(datasetsRoute.POST as never, '', { token, params: { lab: slug }, json: { name: 'threes', kind: 'mnist', digit: 3 } });
  expect(d.status, JSON.stringify(d.body)).toBe(201);
  return d.body.dataset.id;
}

export interface MnistLab extends LabOwner {
  /** The 'mnist-cnn' v1 model version. */
  versionId: string;
  /** The 'threes' dataset. */
  datasetId: string;
}

/** A lab owner whose lab holds the MNIST CNN ('mnist-cnn' v1) and MNIST threes ('threes'). */
export async function mnistCnnLab(who: Person): Promise<MnistLab> {
  const owner = await labOwner(who);
  const versionId = await uploadMnistCnn(owner.token, owner.slug);
  const datasetId = await registerThrees(owner.token, owner.slug);
  return { ...owner, versionId, datasetId };
}

/**
 * mnistCnnLab with the demo ResNet-18 (models/demo, 20 conv layers) as its
 * model version instead, and room for any number of workers on its tasks:
 * whole networks on several workers.
 */
export async function resnet18Lab(who: Person): Promise<MnistLab> {
  const lab = await mnistCnnLab(who);
  const root = path.resolve(import.meta.dirname, '../..');
  const manifest = JSON.parse(readFileSync(path.join(root, 'models/demo/models.json'), 'utf8')) as { models: { name: string; preprocessing: Parameters<typeof fromManifest>[0] }[] };
  const entry = manifest.models.find((m) => m.name === 'resnet18-mnist')!;
  const m = await callRoute(modelsRoute.POST as never, '', {
    token: lab.token,
    params: { lab: lab.slug },
    form: formOf({
      name: 'resnet18-mnist',
      file: [fileBlob(readFileSync(path.join(root, 'models/demo/resnet18-mnist.onnx'))), 'r.onnx'],
      preprocessing: JSON.stringify(fromManifest(entry.preprocessing)),
    }),
  });
  expect(m.status, JSON.stringify(m.body)).toBe(201);
  await db.lab.update({ where: { id: lab.lab.id }, data: { maxRunningTasks: 100 } });
  return { ...lab, versionId: m.body.version.id };
}

export interface AnalysisRequest {
  layers?: string[] | 'all';
  options?: Record<string, unknown>;
  target?: object;
}

/**
 * Queues an analysis of the lab's MNIST CNN on its threes (target class 3 unless given) as `token`
 * (the owner's by default); returns the API's 201 body (the analysis and its cost estimate).
 */
export async function postAnalysis(lab: MnistLab, req: AnalysisRequest = {}, token = lab.token) {
  const res = await callRoute(analysesRoute.POST as never, '', {
    token,
    params: { lab: lab.slug },
    json: { modelVersionId: lab.versionId, datasetId: lab.datasetId, target: req.target ?? { kind: 'class', index: 3 }, layers: req.layers ?? 'all', options: req.options ?? {} },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** Queues an analysis as postAnalysis does; returns its id. */
export async function queueAnalysis(lab: MnistLab, req: AnalysisRequest = {}, token = lab.token): Promise<string> {
  return (await postAnalysis(lab, req, token)).analysis.id as string;
}

/**
 * Waits until the analysis completed (throwing with its reason if it failed, followed by
 * `detail()`, e.g. the tail of the worker's output); returns its row.
 */
export function analysisCompleted(id: string, timeoutMs = 240_000, detail: () => string = () => '') {
  return waitFor(`analysis ${id} to complete`, async () => {
    const a = await db.analysis.findUniqueOrThrow({ where: { id } });
    if (a.status === 'failed') throw new Error(`analysis failed: ${a.error}${detail() ? `\n${detail()}` : ''}`);
    return a.status === 'completed' && a;
  }, timeoutMs);
}

/**
 * Starts worker `workerId` from `workers` and waits until each analysis of `ids` completed; a failed
 * analysis throws with the tail of that worker's output.
 */
export async function completeOnWorker(workers: ReturnType<typeof workerPool>, workerId: string, ids: string[], timeoutMs = 240_000): Promise<void> {
  const worker = workers.spawn(workerId);
  for (const id of ids) await analysisCompleted(id, timeoutMs, () => worker.output().slice(-2000));
}

/** The results API's layers of an analysis of `lab`, read with `lab.token`. */
export async function resultLayers(lab: LabOwner, analysisId: string): Promise<StoredLayerView[]> {
  const res = await callRoute(resultsRoute.GET as never, '', { token: lab.token, params: { lab: lab.slug, analysisId } });
  expect(res.status).toBe(200);
  return res.body.layers as StoredLayerView[];
}
