/**
 * Channel artifacts for the portal: what a channel page and a layer strip
 * show, requesting the missing pictures from the workers, and serving the
 * stored PNGs and values. Every lookup goes through the lab (other labs'
 * analyses, layers and artifacts are "not found"), and a channel must be in
 * the analysis' results before anything is computed for it.
 */
import { buffer } from 'node:stream/consumers';
import { z } from 'zod';
import type { ChannelArtifact } from '../db/generated/client';
import { rowToChannel } from '../queue/result-rows';
import type { ChannelResult } from '../analysis/types';
import { CHANNEL_KINDS, LAYER_KINDS, type ArtifactKind, type ArtifactValues, type SampleRef } from '../analysis/artifacts/types';
import { requestArtifacts, type ArtifactKey } from '../queue/artifact-tasks';
import { openDataset, type DatasetSpec } from '../datasets/index';
import { withDefaults } from '../analysis/options';
import { db } from '../db/client';
import { withDatasetSpec } from '../storage/resolve';
import { getStore } from '../storage/backend';
import { joinKey } from '../storage/store';
import { badRequest, notFound, parseWith } from './errors';
import { sampleThumbnailPng } from './thumbnails';
import type { ArtifactJson } from './shared/payloads';

export interface LayerRef {
  slug: string;
  analysisId: string;
  layer: string;
}

/** The analysis (in this lab) and its stored layer result; 404 for anything else. */
export async function findLayer(labId: string, analysisId: string, layer: string) {
  const analysis = await db.analysis.findFirst({
    where: { id: analysisId, labId },
    include: {
      modelVersion: { select: { id: true, version: true, model: { select: { id: true, name: true } } } },
      dataset: { select: { id: true, name: true, kind: true, spec: true } },
    },
  });
  if (!analysis) throw notFound('analysis not found');
  const layerResult = await db.layerResult.findFirst({ where: { analysisId, name: layer } });
  if (!layerResult) throw notFound(`layer not found: the analysis has no results for '${layer}'`);
  return { analysis, layerResult };
}

/** A channel of a stored layer result, with all its statistics. */
export async function findChannel(labId: string, analysisId: string, layer: string, channelText: string) {
  const channel = Number(channelText);
  if (!/^\d{1,6}$/.test(channelText) || !Number.isInteger(channel)) throw notFound('channel not found');
  const found = await findLayer(labId, analysisId, layer);
  const row = await db.channelResult.findFirst({ where: { layerResultId: found.layerResult.id, channel } });
  if (!row) throw notFound(`channel not found: layer '${layer}' has no channel ${channel}`);
  const channels = await db.channelResult.count({ where: { layerResultId: found.layerResult.id } });
  return { ...found, channel, result: rowToChannel(row) as ChannelResult, channels };
}

/** The layer's channels by rank (the strip page's table). */
export async function layerChannels(layerResultId: string): Promise<ChannelResult[]> {
  const rows = await db.channelResult.findMany({ where: { layerResultId }, orderBy: { rank: 'asc' } });
  return rows.map((r) => rowToChannel(r) as ChannelResult);
}

/** Channels ranked just above and below, for previous/next links. */
export async function rankNeighbours(layerResultId: string, rank: number): Promise<{ above: number | null; below: number | null }> {
  const [above, below] = await Promise.all(
    [rank - 1, rank + 1].map((r) => db.channelResult.findFirst({ where: { layerResultId, rank: r }, select: { channel: true } })),
  );
  return { above: above?.channel ?? null, below: below?.channel ?? null };
}

/** A key of an artifact the pages show (every kind but an analysis' network-wide curves). */
export type PageKey = ArtifactKey & { kind: ArtifactKind };

export const keyFor = (analysisId: string, layer: string, kind: ArtifactKind, channel: number, variant = ''): PageKey => ({
  analysisId,
  layerName: layer,
  kind,
  channel: LAYER_KINDS.includes(kind) ? -1 : channel,
  variant,
});

function toJson(ref: LayerRef, key: PageKey, row: ChannelArtifact | null): ArtifactJson {
  const base = `/api/v1/labs/${ref.slug}/analyses/${ref.analysisId}/layers/${encodeURIComponent(ref.layer)}/artifacts`;
  const values = row?.status === 'completed' ? (row.values as unknown as ArtifactValues | null) : null;
  const files: Record<string, string> = {};
  if (row && values) {
    for (const r of values.rows) for (const p of r.pictures) files[p.file] = `${base}/${row.id}/${p.file}`;
    files['values.json'] = `${base}/${row.id}/values.json`;
  }
  return {
    kind: key.kind,
    layer: key.layerName,
    channel: key.channel,
    variant: key.variant,
    status: row?.status ?? 'missing',
    id: row?.id ?? null,
    progress: row?.progress ?? 0,
    attempts: row?.attempts ?? 0,
    error: row?.error ?? null,
    seconds: row?.seconds ?? null,
    updatedAt: row?.updatedAt.toISOString() ?? null,
    files,
    values,
  };
}

/** The artifacts of these keys as the API shows them (missing ones included). */
export async function lookup(ref: LayerRef, keys: PageKey[]): Promise<ArtifactJson[]> {
  const rows = await db.channelArtifact.findMany({
    where: { OR: keys.map((k) => ({ analysisId: k.analysisId, layerName: k.layerName, channel: k.channel, kind: k.kind, variant: k.variant })) },
  });
  return keys.map((k) => toJson(ref, k, rows.find((r) => r.kind === k.kind && r.channel === k.channel && r.variant === k.variant) ?? null));
}

/** The channel page's artifacts, one per kind (missing ones included). */
export async function channelArtifacts(labId: string, ref: LayerRef, channelText: string): Promise<ArtifactJson[]> {
  const { channel } = await findChannel(labId, ref.analysisId, ref.layer, channelText);
  return lookup(ref, CHANNEL_KINDS.map((k) => keyFor(ref.analysisId, ref.layer, k, channel)));
}

const requestSchema = z.object({ kinds: z.array(z.enum(CHANNEL_KINDS)).min(1).max(CHANNEL_KINDS.length).optional() }).strict();

/** Queues the channel's missing (or failed) artifacts of the requested kinds (default: all). */
export async function requestChannelArtifacts(labId: string, ref: LayerRef, channelText: string, body: unknown): Promise<ArtifactJson[]> {
  const input = parseWith(requestSchema, body ?? {}, 'artifact request');
  const { channel } = await findChannel(labId, ref.analysisId, ref.layer, channelText);
  await requestArtifacts(db, (input.kinds ?? CHANNEL_KINDS).map((k) => keyFor(ref.analysisId, ref.layer, k, channel)));
  return channelArtifacts(labId, ref, channelText);
}

/** The layer strip on one image of the analysis' sample (default: its first image). */
export async function stripArtifact(labId: string, ref: LayerRef, image: string | null): Promise<ArtifactJson> {
  await findLayer(labId, ref.analysisId, ref.layer);
  const sample = await pickSample(labId, ref.analysisId, image);
  return (await lookup(ref, [keyFor(ref.analysisId, ref.layer, 'strip', -1, sample.id)]))[0];
}

const stripSchema = z.object({ image: z.string().min(1).max(1000).optional() }).strict();

export async function requestStrip(labId: string, ref: LayerRef, body: unknown): Promise<ArtifactJson> {
  const input = parseWith(stripSchema, body ?? {}, 'strip request');
  await findLayer(labId, ref.analysisId, ref.layer);
  const sample = await pickSample(labId, ref.analysisId, input.image ?? null);
  await requestArtifacts(db, [keyFor(ref.analysisId, ref.layer, 'strip', -1, sample.id)]);
  return stripArtifact(labId, ref, sample.id);
}

/** A stored file of a completed artifact: one of its PNGs, or its values as JSON. */
export async function artifactFile(labId: string, ref: LayerRef, artifactId: string, file: string): Promise<{ bytes: Uint8Array; type: string }> {
  const row = await db.channelArtifact.findFirst({ where: { id: artifactId, analysisId: ref.analysisId, layerName: ref.layer, analysis: { labId } } });
  if (!row || row.status !== 'completed' || !row.values) throw notFound('artifact not found (or not computed yet)');
  if (file === 'values.json') return { bytes: Buffer.from(JSON.stringify(row.values, null, 1)), type: 'application/json' };
  const values = row.values as unknown as ArtifactValues;
  // Only names the artifact lists: the file name never reaches the filesystem unchecked.
  const known = Array.isArray(values.rows) && values.rows.some((r) => r.pictures.some((p) => p.file === file));
  if (!known || !row.resultPath || !/^[a-z0-9-]+\.png$/.test(file)) throw notFound('file not found');
  try {
    return { bytes: await buffer(await (await getStore()).get(joinKey(row.resultPath, file))), type: 'image/png' };
  } catch {
    throw notFound('file not found in storage');
  }
}

// ---------------------------------------------------------------- the analysis' sample

/** Sample ids per analysis: drawing them opens the dataset, so repeat visits reuse the list. */
const sampleCache = new Map<string, Promise<SampleRef[]>>();
const SAMPLE_CACHE_SIZE = 50;

/** The images the analysis ranked with (same dataset spec, n and seed as the worker), in order. */
export async function analysisSamples(labId: string, analysisId: string): Promise<SampleRef[]> {
  const a = await db.analysis.findFirst({ where: { id: analysisId, labId }, select: { id: true, options: true, dataset: { select: { spec: true } } } });
  if (!a) throw notFound('analysis not found');
  let list = sampleCache.get(a.id);
  if (!list) {
    const opts = withDefaults(a.options as Record<string, unknown> | null);
    list = withDatasetSpec(a.dataset.spec as DatasetSpec, async (spec) => {
      const ds = await openDataset(spec, { n: opts.images, seed: opts.seed });
      try {
        return ds.samples.map((s, index) => ({ index, id: s.id, ...(s.label !== undefined ? { label: s.label } : {}) }));
      } finally {
        await ds.close();
      }
    });
    sampleCache.set(a.id, list);
    list.catch(() => sampleCache.delete(a.id));
    if (sampleCache.size > SAMPLE_CACHE_SIZE) sampleCache.delete(sampleCache.keys().next().value!);
  }
  return list;
}

async function pickSample(labId: string, analysisId: string, image: string | null): Promise<SampleRef> {
  const samples = await analysisSamples(labId, analysisId);
  if (samples.length === 0) throw badRequest('the analysis sample is empty');
  if (image === null || image === '') return samples[0];
  const s = samples.find((x) => x.id === image);
  if (!s) throw badRequest(`image ${JSON.stringify(image)} is not in the analysis' sample`);
  return s;
}

/** PNG thumbnail of the sample at `indexText` (the picker's images), cached on disk by dataset content, sample and size. */
export async function sampleThumbnail(labId: string, analysisId: string, indexText: string, size = 96): Promise<Uint8Array> {
  const samples = await analysisSamples(labId, analysisId);
  const index = Number(indexText);
  if (!/^\d{1,7}$/.test(indexText) || index >= samples.length) throw notFound('sample not found');
  const a = await db.analysis.findFirstOrThrow({ where: { id: analysisId, labId }, select: { dataset: { select: { id: true, sha256: true, spec: true } } } });
  return sampleThumbnailPng(a.dataset, samples[index].id, size);
}

/** Request bodies are optional: an empty POST asks for the defaults. */
export async function optionalJson(req: Request): Promise<unknown> {
  const text = await req.text();
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('the request body is not valid JSON');
  }
}
