/**
 * Model uploads: an .onnx file, or a TF.js model.json with its weight shards.
 * The upload is loaded with the engine the analyses will use (ONNX Runtime /
 * TF.js) before anything is stored; a model that does not load, or has no 2-D
 * conv layer, is refused with the engine's message and leaves no file and no
 * row. Files are stored by sha256; uploading under an existing name adds a
 * version.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ConvLayerInfo, ModelEngine } from '../models/engine';
import { limits } from './config';
import { db, Prisma } from './db';
import { ApiError, badRequest, isUniqueViolation, parseWith } from './errors';
import { inputShapeSchema, modelCardSchema, objectName, preprocessingSchema } from './schemas';
import { commitToStorage, removeFromStorage, sha256, tempDir, writeTemp } from './storage';
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
export interface StoredLayer {
  name: string;
  outputName: string;
  channels: number;
  mapHeight: number;
  mapWidth: number;
  kernelSize: [number, number];
  stride: [number, number];
  dilation: [number, number];
  padding: [number, number, number, number];
  groups: number;
}

function storedLayer(l: ConvLayerInfo): StoredLayer {
  return {
    name: l.name,
    outputName: l.outputName,
    channels: l.channels,
    mapHeight: l.mapHeight,
    mapWidth: l.mapWidth,
    kernelSize: l.kernelSize,
    stride: l.stride,
    dilation: l.dilation,
    padding: l.padding,
    groups: l.groups,
  };
}

async function describe(engine: ModelEngine, format: 'onnx' | 'tfjs'): Promise<ModelInspection> {
  try {
    return {
      format,
      backend: engine.backend,
      inputShape: [...engine.input.shape],
      outputShape: [...engine.output.shape],
      layers: engine.listConvLayers().map(storedLayer),
      softmaxOutput: engine.output.softmax,
    };
  } finally {
    await engine.dispose();
  }
}

/** Load an ONNX model from memory with ONNX Runtime; throws 400 with the engine's reason. */
export async function inspectOnnx(bytes: Uint8Array, inputShape?: number[]): Promise<ModelInspection> {
  const { createOnnxEngine } = await import('../models/onnx-engine');
  let engine: ModelEngine;
  try {
    engine = await createOnnxEngine(bytes, { inputShape, intraOpNumThreads: 1 });
  } catch (err) {
    throw badRequest(`not a usable ONNX model: ${(err as Error).message}`);
  }
  return describe(engine, 'onnx');
}

/** Load a TF.js model (model.json + shards) from memory; throws 400 with the engine's reason. */
export async function inspectTfjs(files: Map<string, Uint8Array>, inputShape?: number[]): Promise<ModelInspection> {
  const { createTfjsEngine } = await import('../models/tfjs-engine');
  let engine: ModelEngine;
  try {
    engine = await createTfjsEngine(files, { inputShape });
  } catch (err) {
    throw badRequest(`not a usable TF.js model: ${(err as Error).message}`);
  }
  return describe(engine, 'tfjs');
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
  files: UploadedFile[];
  inputShape?: number[];
  preprocessing?: unknown;
  modelCard?: unknown;
}

/** Parse a multipart model upload request (fields: name, file(s), inputShape?, preprocessing?, modelCard?). */
export async function readModelUpload(req: Request): Promise<ModelUploadInput> {
  const { fields, files } = await readMultipart(req, limits.modelBytes);
  return {
    name: fields.get('name') ?? '',
    files,
    inputShape: jsonField(fields, 'inputShape') as number[] | undefined,
    preprocessing: jsonField(fields, 'preprocessing'),
    modelCard: jsonField(fields, 'modelCard'),
  };
}

/** Validate, store and register an upload as the next version of the lab's model `name`. */
export async function createModelVersion(labId: string, userId: string, input: ModelUploadInput) {
  const name = parseWith(objectName, input.name, 'model name');
  const inputShape = input.inputShape === undefined ? undefined : parseWith(inputShapeSchema, input.inputShape, 'inputShape');
  const preprocessing = input.preprocessing === undefined ? undefined : parseWith(preprocessingSchema, input.preprocessing, 'preprocessing');
  const modelCard = input.modelCard === undefined ? undefined : parseWith(modelCardSchema, input.modelCard, 'modelCard');
  const total = input.files.reduce((s, f) => s + f.bytes.byteLength, 0);
  if (total > limits.modelBytes) throw new ApiError(413, `model files exceed the limit of ${limits.modelBytes / 1024 / 1024} MB`);
  const kind = classifyModelFiles(input.files);

  // 1. Validate in memory: nothing touches the disk before the engine accepted the model.
  let inspection: ModelInspection;
  let digest: string;
  if (kind.format === 'onnx') {
    inspection = await inspectOnnx(kind.file.bytes, inputShape);
    digest = sha256(kind.file.bytes);
  } else {
    const map = new Map(kind.files.map((f) => [path.basename(f.name), f.bytes]));
    inspection = await inspectTfjs(map, inputShape);
    // Digest of the set: sorted names with each file's own digest.
    digest = sha256(new TextEncoder().encode([...map].sort(([a], [b]) => (a < b ? -1 : 1)).map(([n, b]) => `${n}:${sha256(b)}`).join('\n')));
  }
  if (preprocessing && preprocessing.channels !== inspection.inputShape[0] && inspection.inputShape[0] !== 3) {
    throw badRequest(`preprocessing.channels is ${preprocessing.channels} but the model takes ${inspection.inputShape[0]} channels`);
  }
  if (preprocessing && (preprocessing.height !== inspection.inputShape[1] || preprocessing.width !== inspection.inputShape[2])) {
    throw badRequest(
      `preprocessing is ${preprocessing.width}×${preprocessing.height} but the model input is ${inspection.inputShape[2]}×${inspection.inputShape[1]}`,
    );
  }

  // 2. Store by content.
  const rel = kind.format === 'onnx' ? `models/${digest}.onnx` : `models/${digest}`;
  const tmp = await tempDir();
  let created = false;
  try {
    if (kind.format === 'onnx') {
      const file = await writeTemp(tmp.dir, 'model.onnx', kind.file.bytes);
      created = await commitToStorage(file, rel);
    } else {
      const folder = path.join(tmp.dir, 'model');
      await mkdir(folder);
      for (const f of kind.files) await writeTemp(folder, path.basename(f.name), f.bytes);
      created = await commitToStorage(folder, rel);
    }
  } finally {
    await tmp.cleanup();
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
