/**
 * Reading a TF.js model (model.json + weight shards) from a folder, a
 * model.json path, or files already in memory (an upload), into the
 * ModelArtifacts that tf.io.fromMemory takes. Never touches the network:
 * tf.loadLayersModel('file://...') needs tfjs-node, and an http URL would fetch.
 */
import type * as tf from '@tensorflow/tfjs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { concatArrays } from './concat';

/** In-memory model files, keyed by file name ('model.json', 'group1-shard1of1.bin'). */
export type TfjsFiles = Record<string, Uint8Array | string> | Map<string, Uint8Array | string>;
export type TfjsSource = string | TfjsFiles;

interface ModelJson {
  format?: string;
  modelTopology?: Record<string, unknown>;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  [key: string]: unknown;
}

export interface LoadedArtifacts {
  kind: 'layers' | 'graph';
  artifacts: tf.io.ModelArtifacts;
  /** For messages: the path or 'in-memory model'. */
  source: string;
}

export async function readTfjsArtifacts(src: TfjsSource): Promise<LoadedArtifacts> {
  let jsonText: string;
  let shard: (name: string) => Promise<Uint8Array>;
  let source: string;
  if (typeof src === 'string') {
    const jsonPath = (await stat(src)).isDirectory() ? path.join(src, 'model.json') : src;
    source = jsonPath;
    jsonText = await readFile(jsonPath, 'utf8').catch((err) => {
      throw new Error(`${jsonPath}: cannot read the TF.js model.json (${(err as Error).message})`);
    });
    const dir = path.dirname(jsonPath);
    shard = async (name) => {
      // Shard paths are relative to model.json; refuse anything escaping the folder.
      const full = path.resolve(dir, name);
      if (!full.startsWith(path.resolve(dir) + path.sep)) throw new Error(`${source}: weight path '${name}' leaves the model folder`);
      return readFile(full).catch(() => {
        throw new Error(`${source}: weight shard '${name}' is missing`);
      });
    };
  } else {
    const files = src instanceof Map ? src : new Map(Object.entries(src));
    source = 'in-memory model';
    const jsonKeys = [...files.keys()].filter((k) => k.endsWith('.json'));
    const key = jsonKeys.find((k) => path.basename(k) === 'model.json') ?? (jsonKeys.length === 1 ? jsonKeys[0] : null);
    if (!key) throw new Error(`${source}: no model.json among the files (${[...files.keys()].join(', ')})`);
    const v = files.get(key)!;
    jsonText = typeof v === 'string' ? v : new TextDecoder().decode(v);
    const byBase = new Map([...files].map(([k, val]) => [path.basename(k), val]));
    shard = async (name) => {
      const val = files.get(name) ?? byBase.get(path.basename(name));
      if (val === undefined) throw new Error(`${source}: weight shard '${name}' is missing`);
      return typeof val === 'string' ? new TextEncoder().encode(val) : val;
    };
  }
  let json: ModelJson;
  try {
    json = JSON.parse(jsonText);
  } catch (err) {
    throw new Error(`${source}: model.json is not JSON (${(err as Error).message})`);
  }
  if (!json.modelTopology || typeof json.modelTopology !== 'object') {
    throw new Error(`${source}: not a TF.js model (no modelTopology)`);
  }
  const kind = json.format === 'graph-model' || Array.isArray(json.modelTopology.node) ? 'graph' : 'layers';
  const manifest = json.weightsManifest ?? [];
  checkWeightPaths(manifest, source);
  const parts: Uint8Array[] = [];
  for (const group of manifest) for (const p of group.paths) parts.push(await shard(p));
  const weightData = concatArrays(parts, (n) => new Uint8Array(n));
  const { weightsManifest: _m, modelTopology, ...rest } = json;
  const artifacts: tf.io.ModelArtifacts = {
    ...(rest as Partial<tf.io.ModelArtifacts>),
    modelTopology: modelTopology as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: manifest.flatMap((g) => g.weights),
    weightData: weightData.buffer,
  };
  return { kind, artifacts, source };
}

/**
 * Weight shard paths must be plain file names beside model.json. A manifest
 * is untrusted input: '../../README.md', '/etc/passwd' or a URL would make
 * the loader read (or fetch) something that is not part of the upload, so
 * the whole manifest is checked before any shard is read.
 */
function checkWeightPaths(manifest: unknown, source: string): asserts manifest is { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] {
  if (!Array.isArray(manifest)) throw new Error(`${source}: weightsManifest must be a list of weight groups`);
  for (const group of manifest as { paths?: unknown; weights?: unknown }[]) {
    if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new Error(`${source}: every weightsManifest group needs 'paths' and 'weights' lists`);
    }
    for (const p of group.paths) {
      const plain =
        typeof p === 'string' &&
        p.length > 0 &&
        p.length <= 255 &&
        !/[\/\\:\0]/.test(p) &&
        p !== '.' &&
        p !== '..';
      if (!plain) {
        throw new Error(
          `${source}: weight path ${JSON.stringify(p)} is refused: weight shards must be plain file names beside model.json (no folders, '..', absolute paths or URLs)`,
        );
      }
    }
  }
}
