/**
 * `pcace rank --server URL --token T`: the same analysis, computed by a
 * portal's workers instead of this machine. The model is uploaded (or its
 * latest version reused when the bytes are identical), the dataset registered
 * (or reused by name), the analysis queued; then progress is followed and the
 * results are written to --out: {analysis, summary, layers}, layers in the
 * same shape as a local run.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { AnalysisProgress, AnalysisSpec } from '../analysis/types';
import { UsageError } from './errors';

interface RemoteOptions {
  server: string;
  token: string;
  lab?: string;
  wait: boolean;
  onProgress?: (p: AnalysisProgress) => void;
  pollMs?: number;
}

export interface RemoteRun {
  url: string;
  analysisId: string;
  result?: unknown;
}

class Api {
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  async call<T>(method: string, route: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method, headers: { authorization: `Bearer ${this.token}` } };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    let res: Response;
    try {
      res = await fetch(`${this.base}/api/v1${route}`, init);
    } catch (err) {
      throw new UsageError(`cannot reach ${this.base}: ${(err as Error).message}`);
    }
    const text = await res.text();
    const json = text ? (JSON.parse(text) as T & { error?: string }) : ({} as T & { error?: string });
    if (!res.ok) {
      const message = (json as { error?: string }).error ?? text.slice(0, 200);
      throw new UsageError(`${method} ${route}: ${res.status} ${message}`);
    }
    return json;
  }
}

export async function submitRemote(spec: AnalysisSpec, opts: RemoteOptions): Promise<RemoteRun> {
  const base = opts.server.replace(/\/+$/, '');
  const api = new Api(base, opts.token);
  const labs = (await api.call<{ labs: { slug: string; role: string }[] }>('GET', '/labs')).labs;
  const lab = opts.lab ? labs.find((l) => l.slug === opts.lab) : labs.find((l) => l.role !== 'viewer');
  if (!lab) throw new UsageError(opts.lab ? `no lab '${opts.lab}' for this token (labs: ${labs.map((l) => l.slug).join(', ')})` : 'this token has no lab it can write to');
  const L = `/labs/${lab.slug}`;

  const modelVersionId = await ensureModel(api, L, spec.model.path, spec.model.format);
  const datasetId = await ensureDataset(api, L, spec.dataset);
  const { layers, model: _m, dataset: _d, target, ...options } = spec;
  const created = await api.call<{ analysis: { id: string } }>('POST', `${L}/analyses`, { modelVersionId, datasetId, target, layers, options });
  const id = created.analysis.id;
  const url = `${base}${L.replace('/labs/', '/labs/')}/analyses/${id}`;
  if (!opts.wait) return { url, analysisId: id };

  for (;;) {
    const a = (await api.call<{ analysis: { status: string; progress: number; currentLayer: string | null; etaSeconds: number | null; error: string | null } }>('GET', `${L}/analyses/${id}`)).analysis;
    opts.onProgress?.({ fraction: a.progress, phase: a.status === 'completed' ? 'done' : a.status === 'queued' ? 'loading' : 'statistics', layer: a.currentLayer ?? undefined, etaSeconds: a.etaSeconds ?? undefined });
    if (a.status === 'completed') break;
    if (a.status === 'failed') throw new UsageError(`the analysis failed on the server: ${a.error}`);
    if (a.status === 'cancelled') throw new UsageError('the analysis was cancelled on the server');
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
  }
  const result = await api.call<unknown>('GET', `${L}/analyses/${id}/results`);
  return { url, analysisId: id, result };
}

async function ensureModel(api: Api, L: string, file: string, format: 'onnx' | 'tfjs'): Promise<string> {
  const files = format === 'onnx' ? [file] : [file, ...shardFiles(file)];
  const digest = createHash('sha256');
  const name = path.basename(format === 'onnx' ? file : path.dirname(path.resolve(file))).replace(/\.onnx$/i, '');
  if (format === 'onnx') digest.update(readFileSync(file));
  const models = (await api.call<{ models: { name: string; versions: { id: string; sha256: string }[] }[] }>('GET', `${L}/models`)).models;
  const latest = models.find((m) => m.name === name)?.versions[0];
  if (format === 'onnx' && latest && latest.sha256 === digest.digest('hex')) return latest.id;
  const form = new FormData();
  form.set('name', name);
  for (const f of files) form.append('file', new Blob([readFileSync(f)]), path.basename(f));
  return (await api.call<{ version: { id: string } }>('POST', `${L}/models`, form)).version.id;
}

function shardFiles(modelJson: string): string[] {
  const dir = path.dirname(modelJson);
  return readdirSync(dir)
    .filter((f) => f !== path.basename(modelJson) && /\.(bin|shard\d*)$|group\d+-shard/i.test(f))
    .map((f) => path.join(dir, f));
}

async function ensureDataset(api: Api, L: string, spec: AnalysisSpec['dataset']): Promise<string> {
  const datasets = (await api.call<{ datasets: { id: string; name: string }[] }>('GET', `${L}/datasets`)).datasets;
  if (spec.kind === 'mnist') {
    const name = `MNIST ${spec.split}${spec.digit === undefined ? '' : ` digit ${spec.digit}`}${spec.mix ? ' mix' : ''}`;
    const found = datasets.find((d) => d.name === name);
    if (found && !spec.mix) return found.id;
    return (await api.call<{ dataset: { id: string } }>('POST', `${L}/datasets`, { name: spec.mix ? `${name} ${Date.now()}` : name, kind: 'mnist', split: spec.split, digit: spec.digit, mix: spec.mix })).dataset.id;
  }
  if (spec.kind === 'folder') throw new UsageError('--server takes a .zip of class folders, a .csv or a .npy; zip the folder first');
  if (!statSync(spec.path).isFile()) throw new UsageError(`${spec.path} is not a file`);
  const bytes = readFileSync(spec.path);
  const name = `${path.basename(spec.path)} ${createHash('sha256').update(bytes).digest('hex').slice(0, 8)}`;
  const found = datasets.find((d) => d.name === name);
  if (found) return found.id;
  const form = new FormData();
  form.set('name', name);
  form.set('kind', spec.kind);
  form.append('file', new Blob([bytes]), path.basename(spec.path));
  return (await api.call<{ dataset: { id: string } }>('POST', `${L}/datasets`, form)).dataset.id;
}
