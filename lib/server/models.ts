/**
 * Model uploads: an .onnx file, or a TF.js model.json with its weight shards.
 * The upload is loaded with the engine the analyses will use (ONNX Runtime /
 * TF.js) before anything is stored; a model that does not load, or has no 2-D
 * conv layer, is refused with the engine's message and leaves no file and no
 * row. Files are stored by sha256; uploading under an existing name adds a
 * version.
 */
import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import type { ConvGeometry } from '../models/engine';
import type { InspectArgs, InspectedModel } from '../models/inspect';
import { ModelLimitExceeded, SandboxCrashed } from '../models/sandbox/errors';
import { probeLimits } from '../models/sandbox/limits';
import { runSandboxed } from '../models/sandbox/process';
import { limits } from './config';
import { db, Prisma } from '../db/client';
import { ApiError, badRequest, fieldError, isUniqueViolation, notFound, parseWith } from './errors';
import { inputShapeSchema, modelCardSchema, objectName, preprocessingSchema } from './schemas';
import { commitToStorage, removeFromStorage, sha256, tempDir } from '../storage/files';
import { checkStorageQuota } from './limits';
import { jsonField, readMultipart, type UploadedFile } from './uploads';

export interface ModelInspection {
  format: 'onnx' | 'tfjs';
  backend: string;
  inputShape: number[];
  outputShape: number[];
  layers: StoredLayer[];
  softmaxOutput: boolean;
}

/** A conv layer as stored in ModelVersion.layers (the engine's info without the weight means). */
export type StoredLayer = ConvGeometry;

/** Copies the geometry only: the engine's weight means (and anything else it adds) stay out of the row. */
function storedLayer(l: ConvGeometry): StoredLayer {
  const { name, outputName, channels, mapHeight, mapWidth, kernelSize, stride, dilation, padding, groups } = l;
  return { name, outputName, channels, mapHeight, mapWidth, kernelSize, stride, dilation, padding, groups };
}

/**
 * Loads the model with the engine analyses will use, in a model process under
 * the probe limits (lib/models/sandbox): the engine runs one all-zero sample,
 * and a model is code, so that run may spin or allocate without bound. The
 * server's event loop stays free meanwhile; the engine's refusal, or a broken
 * limit, comes back as a 400.
 */
async function probe(args: InspectArgs, what: string): Promise<ModelInspection> {
  let m: InspectedModel;
  try {
    m = await runSandboxed<InspectedModel>({ module: 'lib/models/inspect.ts', fn: 'inspectModelJob', args }, { limits: probeLimits() });
  } catch (err) {
    if (err instanceof ModelLimitExceeded) throw badRequest(`the model was refused: ${err.message}`);
    if (err instanceof SandboxCrashed) throw badRequest(`not a usable ${what} model: loading it crashed the model runtime`);
    throw badRequest(`not a usable ${what} model: ${(err as Error).message}`);
  }
  return { format: args.format, backend: m.backend, inputShape: m.inputShape, outputShape: m.outputShape, layers: m.layers.map(storedLayer), softmaxOutput: m.softmaxOutput };
}

/** Load an uploaded ONNX file with ONNX Runtime; throws 400 with the engine's reason. */
export async function inspectOnnx(file: string, inputShape?: number[]): Promise<ModelInspection> {
  return probe({ format: 'onnx', path: file, inputShape }, 'ONNX');
}

/** Load an uploaded TF.js model (file name → path of model.json and its shards); throws 400 with the engine's reason. */
export async function inspectTfjs(paths: Map<string, string>, inputShape?: number[]): Promise<ModelInspection> {
  return probe({ format: 'tfjs', files: [...paths], inputShape }, 'TF.js');
}

/** Which files form the model: exactly one .onnx, or a model.json with its shards. */
export function classifyModelFiles(files: UploadedFile[]): { format: 'onnx'; file: UploadedFile } | { format: 'tfjs'; files: UploadedFile[] } {
  const modelFiles = files.filter((f) => f.field === 'file' || f.field === 'files');
  if (modelFiles.length === 0) throw badRequest("no model file: send an .onnx file, or a TF.js model.json and its weight shards, in field 'file'");
  const onnx = modelFiles.filter((f) => /\.onnx$/i.test(f.name));
  if (onnx.length > 0) {
    if (modelFiles.length !== 1) throw badRequest('send one .onnx file per upload (no other files)');
    return { format: 'onnx', file: onnx[0] };
  }
  const json = modelFiles.filter((f) => /\.json$/i.test(f.name));
  if (json.length !== 1) {
    throw badRequest(
      `unrecognised model upload (${modelFiles.map((f) => f.name || '(unnamed)').join(', ')}): expected an .onnx file or one TF.js model.json with its .bin shards`,
    );
  }
  const names = new Set<string>();
  for (const f of modelFiles) {
    const base = path.basename(f.name);
    if (!/^[A-Za-z0-9._-]{1,200}$/.test(base) || base.startsWith('.')) throw badRequest(`bad file name ${JSON.stringify(f.name)}`);
    if (names.has(base)) throw badRequest(`file ${base} was sent twice`);
    names.add(base);
  }
  return { format: 'tfjs', files: modelFiles };
}

export interface ModelUploadInput {
  name: string;
  /** On disk in an upload scratch folder (readMultipart, stageFiles); stored when accepted. */
  files: UploadedFile[];
  inputShape?: number[];
  preprocessing?: unknown;
  modelCard?: unknown;
}

/**
 * Parse a multipart model upload request (fields: name, file(s), inputShape?,
 * preprocessing?, modelCard?), streamed to disk. The caller runs cleanup() in a finally.
 */
export async function readModelUpload(req: Request): Promise<ModelUploadInput & { cleanup(): Promise<void> }> {
  const { fields, files, cleanup } = await readMultipart(req, limits.modelBytes);
  try {
    return {
      name: fields.get('name') ?? '',
      files,
      inputShape: jsonField(fields, 'inputShape') as number[] | undefined,
      preprocessing: jsonField(fields, 'preprocessing'),
      modelCard: jsonField(fields, 'modelCard'),
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Validate, store and register an upload as the next version of the lab's model `name`. */
export async function createModelVersion(labId: string, userId: string, input: ModelUploadInput) {
  const name = parseWith(objectName, input.name, 'model name', 'name');
  const inputShape = input.inputShape === undefined ? undefined : parseWith(inputShapeSchema, input.inputShape, 'inputShape', 'inputShape');
  const preprocessing = input.preprocessing === undefined ? undefined : parseWith(preprocessingSchema, input.preprocessing, 'preprocessing', 'preprocessing');
  const modelCard = input.modelCard === undefined ? undefined : parseWith(modelCardSchema, input.modelCard, 'modelCard', 'modelCard');
  const total = input.files.reduce((s, f) => s + f.size, 0);
  if (total > limits.modelBytes) throw new ApiError(413, `model files exceed the limit of ${limits.modelBytes / 1024 / 1024} MB`);
  await checkStorageQuota(labId, total);
  const kind = classifyModelFiles(input.files);

  // 1. Validate the upload where it landed: nothing reaches storage before the engine accepted the model.
  let inspection: ModelInspection;
  let digest: string;
  if (kind.format === 'onnx') {
    inspection = await inspectOnnx(kind.file.path, inputShape);
    digest = kind.file.sha256;
  } else {
    inspection = await inspectTfjs(new Map(kind.files.map((f) => [path.basename(f.name), f.path])), inputShape);
    // Digest of the set: sorted names with each file's own digest.
    const named = kind.files.map((f) => [path.basename(f.name), f.sha256] as const).sort(([a], [b]) => (a < b ? -1 : 1));
    digest = sha256(new TextEncoder().encode(named.map(([n, d]) => `${n}:${d}`).join('\n')));
  }
  if (preprocessing && preprocessing.channels !== inspection.inputShape[0] && inspection.inputShape[0] !== 3) {
    throw fieldError('preprocessing', `preprocessing.channels is ${preprocessing.channels} but the model takes ${inspection.inputShape[0]} channels`);
  }
  if (preprocessing && (preprocessing.height !== inspection.inputShape[1] || preprocessing.width !== inspection.inputShape[2])) {
    throw fieldError(
      'preprocessing',
      `preprocessing is ${preprocessing.width}×${preprocessing.height} but the model input is ${inspection.inputShape[2]}×${inspection.inputShape[1]}`,
    );
  }

  // 2. Store by content: into the directory store by a rename; into the database or a bucket streamed.
  const rel = kind.format === 'onnx' ? `models/${digest}.onnx` : `models/${digest}`;
  let created = false;
  if (kind.format === 'onnx') {
    created = await commitToStorage(kind.file.path, rel, { sha256: digest });
  } else {
    const tmp = await tempDir();
    try {
      const folder = path.join(tmp.dir, 'model');
      await mkdir(folder);
      for (const f of kind.files) await rename(f.path, path.join(folder, path.basename(f.name)));
      created = await commitToStorage(folder, rel);
    } finally {
      await tmp.cleanup();
    }
  }

  // 3. Register: model row (created on first upload of the name) and the next version number.
  try {
    return await insertVersion(labId, userId, name, {
      format: inspection.format,
      storagePath: rel,
      sha256: digest,
      sizeBytes: BigInt(total),
      layers: inspection.layers as unknown as Prisma.InputJsonValue,
      inputShape: inspection.inputShape,
      outputShape: inspection.outputShape,
      backend: inspection.backend,
      preprocessing: preprocessing ?? Prisma.DbNull,
      modelCard: modelCard ? (modelCard as Prisma.InputJsonValue) : Prisma.DbNull,
    });
  } catch (err) {
    if (created) {
      const others = await db.modelVersion.count({ where: { sha256: digest } }).catch(() => 1);
      if (others === 0) await removeFromStorage(rel).catch(() => {});
    }
    throw err;
  }
}

type VersionData = Omit<Prisma.ModelVersionUncheckedCreateInput, 'modelId' | 'version' | 'createdById'>;

async function insertVersion(labId: string, userId: string, name: string, data: VersionData) {
  // Two uploads of the same name at once race for the version number: retry on the unique violation.
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.$transaction(async (tx) => {
        const model = await tx.model.upsert({
          where: { labId_name: { labId, name } },
          create: { labId, name, createdById: userId },
          update: {},
        });
        const last = await tx.modelVersion.aggregate({ where: { modelId: model.id }, _max: { version: true } });
        const version = (last._max.version ?? 0) + 1;
        const mv = await tx.modelVersion.create({ data: { ...data, modelId: model.id, version, createdById: userId } });
        return { model, version: mv };
      });
    } catch (err) {
      if (isUniqueViolation(err) && attempt < 4) continue;
      throw err;
    }
  }
}

// ---------------------------------------------------------------- reading the lab's models

/** The lab's models, newest first, with every version (GET .../models). */
export function listModels(labId: string) {
  return db.model.findMany({
    where: { labId },
    orderBy: { createdAt: 'desc' },
    include: { versions: { orderBy: { version: 'desc' } } },
  });
}

/** The lab's models, newest first, each with its latest version only (the lab's home page). */
export function listModelsWithLatest(labId: string) {
  return db.model.findMany({
    where: { labId },
    orderBy: { createdAt: 'desc' },
    include: { versions: { orderBy: { version: 'desc' }, take: 1, select: { version: true, format: true, createdAt: true } } },
  });
}

/** One model of the lab with its versions, newest first (GET .../models/:id); 404 for another lab's. */
export async function getModel(labId: string, modelId: string) {
  const model = await db.model.findFirst({
    where: { id: modelId, labId },
    include: { versions: { orderBy: { version: 'desc' } } },
  });
  if (!model) throw notFound('model not found');
  return model;
}

/** One model of the lab with its versions and who uploaded each (the model page); null when not the lab's. */
export function modelDetail(labId: string, modelId: string) {
  return db.model.findFirst({
    where: { id: modelId, labId },
    include: { versions: { orderBy: { version: 'desc' }, include: { createdBy: { select: { name: true } } } } },
  });
}

/** Versions a new analysis may use: archived models are kept for their analyses but not offered for new ones. */
export function pickableVersions(labId: string) {
  return db.modelVersion.findMany({
    where: { model: { labId, archivedAt: null } },
    orderBy: [{ model: { name: 'asc' } }, { version: 'desc' }],
    select: { id: true, version: true, format: true, layers: true, outputShape: true, createdAt: true, modelCard: true, model: { select: { name: true } } },
  });
}
