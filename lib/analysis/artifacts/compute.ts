/**
 * Channel artifacts: the pictures that show what a ranked channel responds to.
 *   maps    — its activation maps on the first sample images, beside each input (PCACE paper Fig. 2–4, 8);
 *   gradcam — the layer's Grad-CAM for the analysis' target on the same images, and CAM where the model allows;
 *   actmax  — its activation-maximisation image (Fig. 7);
 *   top     — the images with the highest mean activation of the channel, drawn
 *             from all classes of the dataset when the analysis used one class
 *             (what else excites the channel), each titled with its class;
 *   strip   — the layer's top-5 and bottom-5 ranked channels on one chosen image;
 *   group   — group PCACE of a picked set of the layer's channels (group.ts).
 * Images come from the analysis' own sample (same dataset spec, n and seed),
 * preprocessed as the analysis did (both open them through ../inputs.ts), so
 * what is shown is what was ranked.
 * Forward passes use the analysis engine (ONNX Runtime for .onnx); gradients
 * use the differentiable TF.js form of the model.
 */
import { resolveLayers, type ConvLayerInfo, type ModelEngine } from '../../models/engine';
import { activationMaximisation, cam, gradCam } from '../../models/gradients';
import type { DifferentiableModel } from '../../models/tfjs-model';
import type { OpenedDataset, Preprocessing } from '../../datasets/types';
import { PcaceInputError } from '../../pcace/validate';
import { allClassesSpec, openDataset } from '../../datasets/index';
import { asInputError, openAnalysisInputs, openAnalysisInputsWith, type AnalysisInputs } from '../inputs';
import { forwardChannels } from './capture';
import type { AnalysisSpec } from '../types';
import {
  colorize, DIVERGING, displaySize, encodePng, HEAT, inputRange, inputToRgb, overlay, resizeNearest, round4, stats, tooltipGrid, type Rgb,
} from './render';
import { groupArtifact } from './group';
import { LAYER_KINDS, MAP_SAMPLES, STRIP_EACH_SIDE, TOP_IMAGES, type ArtifactKind, type ArtifactPicture, type ArtifactRow, type ArtifactValues, type SampleRef } from './types';

export * from './types';

export interface ArtifactRequest {
  kind: ArtifactKind;
  layer: string;
  /** The channel; ignored by layer kinds. */
  channel: number;
  /** strip: the sample id of the chosen image (default: the first sample). */
  image?: string;
  /** strip: the layer's channels by rank (rank 1 first), from the analysis results. */
  ranking?: { channel: number; rank: number }[];
  /** group: the picked channels. */
  channels?: number[];
}

export interface ArtifactOutput {
  files: { name: string; png: Buffer }[];
  values: ArtifactValues;
}

export interface ArtifactOptions {
  onProgress?: (fraction: number) => void;
  /** Polled between steps; true abandons the computation with ArtifactStopped. */
  shouldStop?: () => boolean;
  /** Intra-op threads for ONNX Runtime. */
  threads?: number;
}

export class ArtifactStopped extends Error {
  constructor() {
    super('artifact computation stopped');
    this.name = 'ArtifactStopped';
  }
}

/** What every kind needs: the layer, the preprocessing, the display size, and a place to put pictures. */
interface Ctx {
  spec: AnalysisSpec;
  req: ArtifactRequest;
  layer: ConvLayerInfo;
  inputShape: [number, number, number];
  pre: Preprocessing;
  display: { height: number; width: number };
  files: ArtifactOutput['files'];
  progress: (f: number) => void;
  stop: () => void;
}

export async function computeArtifact(spec: AnalysisSpec, req: ArtifactRequest, opts: ArtifactOptions = {}): Promise<ArtifactOutput> {
  const progress = opts.onProgress ?? (() => {});
  const stop = () => {
    if (opts.shouldStop?.()) throw new ArtifactStopped();
  };
  const differentiable = req.kind === 'gradcam' || req.kind === 'actmax';
  const inputs: AnalysisInputs<ModelEngine | (DifferentiableModel & { dispose(): Promise<void> })> = differentiable
    ? await openAnalysisInputsWith(spec, () => openDifferentiable(spec))
    : await openAnalysisInputs(spec, { threads: opts.threads });
  try {
    const model = inputs.model;
    const [layer] = await asInputError('bad layer', async () => resolveLayers(model.listConvLayers(), [req.layer]));
    if (!LAYER_KINDS.includes(req.kind) && !(Number.isInteger(req.channel) && req.channel >= 0 && req.channel < layer.channels)) {
      throw new PcaceInputError(`channel must be in 0..${layer.channels - 1} for layer ${layer.name}, got ${req.channel}`);
    }
    const { inputShape, preprocessing: pre } = inputs;
    const ctx: Ctx = { spec, req, layer, inputShape, pre, display: displaySize(inputShape[1], inputShape[2]), files: [], progress, stop };
    progress(0.1);
    const engine = model as ModelEngine;
    const differentiableModel = model as DifferentiableModel;
    const kinds: Record<ArtifactKind, () => Promise<KindOutput>> = {
      maps: async () => mapsArtifact(ctx, engine, await inputs.dataset()),
      top: async () => topAcrossClasses(ctx, engine, () => inputs.dataset()),
      strip: async () => stripArtifact(ctx, engine, await inputs.dataset()),
      gradcam: async () => gradcamArtifact(ctx, differentiableModel, await inputs.dataset()),
      actmax: () => actmaxArtifact(ctx, differentiableModel),
      group: async () => groupArtifact({ spec, layer, pre, members: req.channels ?? [], progress, stop }, engine, await inputs.dataset()),
    };
    if (!Object.hasOwn(kinds, req.kind)) throw new PcaceInputError(`unknown artifact kind ${JSON.stringify(req.kind)}`);
    const out = await kinds[req.kind]();
    progress(1);
    const layerWide = LAYER_KINDS.includes(req.kind);
    return {
      files: ctx.files,
      values: { kind: req.kind, layer: layer.name, channel: layerWide ? -1 : req.channel, mapSize: [layer.mapHeight, layer.mapWidth], inputShape, ...out },
    };
  } finally {
    await inputs.close();
  }
}

// ---------------------------------------------------------------- kinds

type KindOutput = Pick<ArtifactValues, 'rows' | 'notes' | 'details'>;

async function mapsArtifact(ctx: Ctx, engine: ModelEngine, ds: OpenedDataset): Promise<KindOutput> {
  const n = Math.min(MAP_SAMPLES, ds.samples.length);
  const inputs = await ds.loadBatch(0, n, ctx.pre);
  ctx.stop();
  const maps = await forwardChannels(engine, (s, c) => Promise.resolve(inputs.subarray(s * perImage(ctx), (s + c) * perImage(ctx))), n, ctx.layer, [ctx.req.channel]);
  ctx.progress(0.6);
  const P = ctx.layer.mapHeight * ctx.layer.mapWidth;
  // One scale for all images of the channel, so the maps can be compared with each other.
  const limit = symmetricLimit(maps[0]);
  const rows: ArtifactRow[] = [];
  for (let i = 0; i < n; i++) {
    const map = maps[0].subarray(i * P, (i + 1) * P);
    const sample = sampleRef(ds, i);
    rows.push({
      title: sampleTitle(sample),
      sample,
      pictures: [await inputPicture(ctx, inputs, i, `input-${i}.png`), await mapPicture(ctx, map, `map-${i}.png`, -limit, limit)],
      stats: roundStats(stats(map)),
    });
  }
  return { rows, notes: n < MAP_SAMPLES ? [`the analysis sample has only ${n} images`] : [], details: { limit: round4(limit) } };
}

/**
 * The top images from a sample (the analysis' size and seed) of every class
 * of the dataset when the analysis used one class of it, else from the
 * analysis' own sample.
 */
async function topAcrossClasses(ctx: Ctx, engine: ModelEngine, own: () => Promise<OpenedDataset>): Promise<KindOutput> {
  const wide = allClassesSpec(ctx.spec.dataset);
  if (!wide) return topArtifact(ctx, engine, await own(), null);
  const ds = await asInputError('cannot open the dataset across its classes', () => openDataset(wide, { n: ctx.spec.images, seed: ctx.spec.seed }));
  try {
    return await topArtifact(ctx, engine, ds, ds.classes);
  } finally {
    await ds.close();
  }
}

/** The top images of `ds`; `classes` when it spans the dataset's classes rather than being the analysis' sample. */
async function topArtifact(ctx: Ctx, engine: ModelEngine, ds: OpenedDataset, classes: string[] | null): Promise<KindOutput> {
  const n = ds.samples.length;
  const P = ctx.layer.mapHeight * ctx.layer.mapWidth;
  const [maps] = await forwardChannels(engine, (s, c) => ds.loadBatch(s, c, ctx.pre), n, ctx.layer, [ctx.req.channel], (done) => {
    ctx.stop();
    ctx.progress(0.1 + 0.6 * (done / n));
  });
  const means = Float64Array.from({ length: n }, (_, i) => stats(maps.subarray(i * P, (i + 1) * P)).mean);
  // Ties broken by sample position, so the choice is deterministic.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => means[b] - means[a] || a - b);
  const top = order.slice(0, Math.min(TOP_IMAGES, n));
  const limit = Math.max(...top.map((i) => symmetricLimit(maps.subarray(i * P, (i + 1) * P))), 1e-12);
  const rows: ArtifactRow[] = [];
  for (const [place, i] of top.entries()) {
    const input = await ds.loadBatch(i, 1, ctx.pre);
    const map = maps.subarray(i * P, (i + 1) * P);
    const sample = sampleRef(ds, i);
    rows.push({
      title: `#${place + 1} · ${sampleTitle(sample)}`,
      sample,
      pictures: [await inputPicture(ctx, input, 0, `top-${place}-input.png`), await mapPicture(ctx, map, `top-${place}-map.png`, -limit, limit)],
      stats: { ...roundStats(stats(map)), place: place + 1 },
    });
  }
  const notes = classes ? [`drawn from ${n} images across the dataset's ${classes.length} classes, not only the analysis' images`] : [];
  return { rows, notes, details: { images: n, limit: round4(limit), histogram: histogram(means, 20), ...(classes ? { allClasses: classes } : {}) } };
}

async function stripArtifact(ctx: Ctx, engine: ModelEngine, ds: OpenedDataset): Promise<KindOutput> {
  const ranking = [...(ctx.req.ranking ?? [])].sort((a, b) => a.rank - b.rank);
  if (ranking.length === 0) throw new PcaceInputError(`layer ${ctx.layer.name} has no ranking in this analysis yet`);
  const index = ctx.req.image === undefined ? 0 : ds.samples.findIndex((s) => s.id === ctx.req.image);
  if (index < 0) throw new PcaceInputError(`image ${JSON.stringify(ctx.req.image)} is not in the analysis' sample`);
  const k = Math.min(STRIP_EACH_SIDE, Math.floor(ranking.length / 2));
  const chosen = [...ranking.slice(0, k).map((r) => ({ ...r, group: 'top' as const })), ...ranking.slice(ranking.length - k).map((r) => ({ ...r, group: 'bottom' as const }))];
  const input = await ds.loadBatch(index, 1, ctx.pre);
  const maps = await forwardChannels(engine, () => Promise.resolve(input), 1, ctx.layer, chosen.map((c) => c.channel));
  ctx.progress(0.5);
  const sample = sampleRef(ds, index);
  const rows: ArtifactRow[] = [{ title: sampleTitle(sample), sample, pictures: [await inputPicture(ctx, input, 0, 'input.png')], stats: {} }];
  for (const [j, c] of chosen.entries()) {
    ctx.stop();
    // Each map on its own symmetric scale: channels differ in magnitude, and the strip compares patterns.
    const limit = symmetricLimit(maps[j]);
    rows.push({
      title: `channel ${c.channel} · rank ${c.rank}`,
      channel: c.channel,
      rank: c.rank,
      group: c.group,
      pictures: [await mapPicture(ctx, maps[j], `strip-${c.group}-${c.channel}.png`, -limit, limit)],
      stats: roundStats(stats(maps[j])),
    });
  }
  return { rows, notes: k < STRIP_EACH_SIDE ? [`the layer has ${ranking.length} channels: ${k} each side`] : [], details: { image: sample } };
}

async function gradcamArtifact(ctx: Ctx, model: DifferentiableModel, ds: OpenedDataset): Promise<KindOutput> {
  const n = Math.min(MAP_SAMPLES, ds.samples.length);
  const inputs = await ds.loadBatch(0, n, ctx.pre);
  const { classIndex, note } = targetOutput(ctx.spec, model);
  ctx.stop();
  const grad = await gradCam(model, inputs, n, { layer: ctx.layer.name, classIndex });
  ctx.progress(0.6);
  const notes = note ? [note] : [];
  let camMaps: Awaited<ReturnType<typeof cam>> | null = null;
  try {
    camMaps = await cam(model, inputs, n, { classIndex });
  } catch (err) {
    // CAM needs a global average pool and a linear head: not having one is a property of the model, not a failure.
    notes.push(`CAM not available: ${(err as Error).message}`);
  }
  const rows: ArtifactRow[] = [];
  for (let i = 0; i < n; i++) {
    ctx.stop();
    const sample = sampleRef(ds, i);
    const base = inputToRgb(inputs.subarray(i * perImage(ctx), (i + 1) * perImage(ctx)), ctx.pre, ctx.inputShape[2], ctx.inputShape[1]);
    const pictures = [await inputPicture(ctx, inputs, i, `input-${i}.png`)];
    for (const [role, h] of [['gradcam', grad[i]], ['cam', camMaps?.[i]]] as const) {
      if (!h) continue;
      const heat = colorize(h.data, h.width, h.height, HEAT, 0, 1);
      const file = `${role}-${i}.png`;
      ctx.files.push({ name: file, png: await encodePng(resizeNearest(overlay(base, heat, 0.55), ctx.display.width, ctx.display.height)) });
      pictures.push({ file, role, ...ctx.display, grid: tooltipGrid(h.coarse, h.coarseHeight, h.coarseWidth), scale: { map: 'heat', lo: 0, hi: 1 } });
    }
    rows.push({ title: sampleTitle(sample), sample, pictures, stats: { classIndex: grad[i].classIndex, score: round4(grad[i].score) } });
  }
  return { rows, notes, details: { classIndex, camLayer: camMaps ? model.poolFeature : null } };
}

async function actmaxArtifact(ctx: Ctx, model: DifferentiableModel): Promise<KindOutput> {
  const range = inputRange(ctx.pre);
  const steps = 200;
  const r = await activationMaximisation(model, { layer: ctx.layer.name, channel: ctx.req.channel, steps, range, seed: ctx.spec.seed });
  ctx.stop();
  ctx.progress(0.9);
  const file = 'actmax.png';
  const rgb = inputToRgb(r.image, ctx.pre, ctx.inputShape[2], ctx.inputShape[1]);
  ctx.files.push({ name: file, png: await encodePng(resizeNearest(rgb, ctx.display.width, ctx.display.height)) });
  const picture: ArtifactPicture = { file, role: 'actmax', ...ctx.display, scale: { map: 'image', lo: range[0], hi: range[1] } };
  return {
    rows: [{ title: `channel ${ctx.req.channel}`, pictures: [picture], stats: { startActivation: round4(r.startActivation), finalActivation: round4(r.finalActivation) } }],
    notes: [],
    details: { steps, range: range.map(round4), seed: ctx.spec.seed, trace: r.trace.map(round4) },
  };
}

// ---------------------------------------------------------------- helpers

async function openDifferentiable(spec: AnalysisSpec): Promise<DifferentiableModel & { dispose(): Promise<void> }> {
  return asInputError('cannot load the model for gradients', async () => {
    if (spec.model.format === 'onnx') {
      const { createOnnxTfjsModel } = await import('../../models/onnx-to-tfjs');
      return createOnnxTfjsModel(spec.model.path);
    }
    const { createTfjsEngine } = await import('../../models/tfjs-engine');
    const m = await createTfjsEngine(spec.model.path);
    if (!('forward' in m)) {
      await m.dispose();
      throw new Error('TF.js graph models cannot be differentiated here; upload a TF.js layers model or ONNX');
    }
    return m;
  });
}

/** The output the analysis explains: its class, or its regression output. */
function targetOutput(spec: AnalysisSpec, model: DifferentiableModel): { classIndex: number; note?: string } {
  if (spec.target.kind === 'class') return { classIndex: spec.target.index };
  if (spec.target.source === 'dataset') {
    return { classIndex: 0, note: 'the analysis explains a target from the dataset; Grad-CAM shows model output 0 instead' };
  }
  const outputs = model.output.shape.reduce((a, b) => a * b, 1);
  return { classIndex: Math.min(spec.target.index ?? 0, outputs - 1) };
}

const perImage = (ctx: Ctx) => ctx.inputShape[0] * ctx.inputShape[1] * ctx.inputShape[2];

async function inputPicture(ctx: Ctx, inputs: Float32Array, i: number, file: string): Promise<ArtifactPicture> {
  const [, h, w] = ctx.inputShape;
  const rgb = inputToRgb(inputs.subarray(i * perImage(ctx), (i + 1) * perImage(ctx)), ctx.pre, w, h);
  ctx.files.push({ name: file, png: await encodePng(resizeNearest(rgb, ctx.display.width, ctx.display.height)) });
  return { file, role: 'input', ...ctx.display, scale: { map: 'image', lo: 0, hi: 255 } };
}

async function mapPicture(ctx: Ctx, map: Float32Array, file: string, lo: number, hi: number): Promise<ArtifactPicture> {
  const { mapHeight: h, mapWidth: w } = ctx.layer;
  const rgb = colorize(map, w, h, DIVERGING, lo, hi);
  ctx.files.push({ name: file, png: await encodePng(resizeNearest(rgb, ctx.display.width, ctx.display.height)) });
  return { file, role: 'map', ...ctx.display, grid: tooltipGrid(map, h, w), scale: { map: 'diverging', lo: round4(lo), hi: round4(hi) } };
}

/** Largest |value|, never 0 (an all-zero map still needs a scale). */
function symmetricLimit(values: Float32Array): number {
  let m = 0;
  for (const v of values) if (Math.abs(v) > m) m = Math.abs(v);
  return m > 0 ? m : 1e-12;
}

function sampleRef(ds: OpenedDataset, index: number): SampleRef {
  const s = ds.samples[index];
  return { index, id: s.id, ...(s.label !== undefined ? { label: s.label } : {}) };
}

const sampleTitle = (s: SampleRef) => `${s.id}${s.label !== undefined ? ` (class ${s.label})` : ''}`;

const roundStats = (s: Record<string, number>) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, round4(v)]));

function histogram(values: Float64Array, bins: number): { edges: number[]; counts: number[] } {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const width = hi > lo ? (hi - lo) / bins : 1;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
  return { edges: Array.from({ length: bins + 1 }, (_, i) => round4(lo + i * width)), counts };
}
