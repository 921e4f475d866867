/**
 * Synthetic full-network analyses for the comparison benchmark and browser
 * tests: the conv layers of ResNet-18 (20 layers, 4,800 channels) and VGG-16
 * (13 layers, 4,224 channels), stored through saveLayerResult exactly as a
 * worker would store them, without running one.
 *
 * The numbers are built to have the structure the comparisons look for:
 * - each (model, class) pair has its own latent channel strengths, independent
 *   across classes (the paper found class rankings uncorrelated);
 * - a run adds its own noise to those strengths, so two runs of the same
 *   model and class agree strongly but not perfectly;
 * - deeper layers have more channels that beat noise;
 * - ablation drops follow the scores only loosely, mean activations not at all.
 */
import { verdictRule, verdictsFor } from '../lib/pcace/verdicts';
import type { ChannelResult, LayerResult } from '../lib/analysis/types';
import { saveLayerResult } from '../lib/queue/result-rows';
import { ordinalRanks } from '../lib/pcace/ranking';
import { Rng } from '../lib/pcace/random';
import { reliabilityOf } from '../lib/pcace/reliability';
import type { PrismaClient } from '../lib/db/client';

type Layer = [name: string, channels: number, mapSize: number];

function resnetBlock(stage: number, channels: number, size: number, downsample: boolean): Layer[] {
  const out: Layer[] = [];
  for (const block of [0, 1]) {
    out.push([`layer${stage}.${block}.conv1`, channels, size], [`layer${stage}.${block}.conv2`, channels, size]);
    if (block === 0 && downsample) out.push([`layer${stage}.0.downsample.0`, channels, size]);
  }
  return out;
}

export const RESNET18: Layer[] = [
  ['conv1', 64, 112],
  ...resnetBlock(1, 64, 56, false),
  ...resnetBlock(2, 128, 28, true),
  ...resnetBlock(3, 256, 14, true),
  ...resnetBlock(4, 512, 7, true),
];

export const VGG16: Layer[] = (
  [
    [64, 224],
    [64, 224],
    [128, 112],
    [128, 112],
    [256, 56],
    [256, 56],
    [256, 56],
    [512, 28],
    [512, 28],
    [512, 28],
    [512, 14],
    [512, 14],
    [512, 14],
  ] as const
).map(([c, s], i) => [`features.${[0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28][i]}`, c, s]);

export interface SeedNetwork {
  labId: string;
  userId: string;
  modelName: string;
  layers: Layer[];
  /** Target class index: picks the latent strengths. */
  classIndex: number;
  /** Per-run noise; the same model, class and run seed give the same numbers. */
  runSeed: number;
  title?: string;
  permutations?: number;
  ablation?: boolean;
  images?: number;
  /** Also a test–retest: a second run's noise on the same strengths, and the layer's reliability. */
  retest?: boolean;
}

/** FNV-1a: a stable seed from text. */
function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function syntheticLayer(opts: SeedNetwork, layerIndex: number): LayerResult {
  const [name, channels, size] = opts.layers[layerIndex];
  const depth = (layerIndex + 1) / opts.layers.length;
  const latent = new Rng(hashSeed(`${opts.modelName}|${opts.classIndex}|${name}`));
  const run = new Rng(hashSeed(`${opts.runSeed}|${name}`));
  const signalShare = 0.1 + 0.5 * depth;
  const rows: ChannelResult[] = [];
  const crossfit = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const strength = latent.next() < signalShare ? 0.12 + 0.6 * depth * latent.next() : 0;
    const activation = Math.exp(latent.normal() * 0.8 - 1);
    crossfit[c] = strength + 0.04 * run.normal();
    const multiple = Math.min(0.999, 0.3 + 0.65 * Math.abs(crossfit[c]) + 0.05 * run.next());
    const row: ChannelResult = {
      index: c,
      rank: 0,
      score_pc1: multiple * (0.6 + 0.4 * run.next()),
      score_multiple: multiple,
      rsq: multiple * multiple,
      score_crossfit: crossfit[c],
      components: 5,
      explained_variance: 0.5 + 0.4 * run.next(),
      mean_activation: activation,
      max_activation: activation * (3 + 2 * run.next()),
      flags: [],
    };
    if (opts.permutations) {
      const p = strength > 0 ? run.next() * 0.02 : run.next();
      row.p_value = Math.max(1 / (opts.permutations + 1), p);
      row.z_score = strength > 0 ? 2 + 10 * strength : run.normal();
    }
    if (opts.ablation) {
      row.ablation_drop = 0.5 * strength + 0.15 * run.normal();
      row.ablation_accuracy_drop = Math.max(0, 0.05 * strength + 0.01 * run.normal());
    }
    rows.push(row);
  }
  const ranks = ordinalRanks(crossfit);
  rows.forEach((r, i) => (r.rank = ranks[i]));
  const layer: LayerResult = { name, shape: [opts.images ?? 300, channels, size, size], kernel: [3, 3], seconds: 1, channels: rows, warnings: [] };
  if (opts.retest) {
    // The same latent strengths (recovered from the first run's draw order) measured with another sample's noise.
    const again = new Rng(hashSeed(`${opts.runSeed}|${name}|retest`));
    const strengths = new Rng(hashSeed(`${opts.modelName}|${opts.classIndex}|${name}`));
    const retest = Float64Array.from({ length: channels }, () => {
      const strength = strengths.next() < signalShare ? 0.12 + 0.6 * depth * strengths.next() : 0;
      strengths.normal();
      return strength + 0.04 * again.normal();
    });
    rows.forEach((r, i) => (r.score_retest = retest[i]));
    const rel = reliabilityOf(crossfit, retest);
    layer.reliability = { spearman: rel.spearman, ci: rel.ci, channels, images: opts.images ?? 300, statistic: 'crossfit' };
  }
  if (opts.permutations) {
    // The p-values stand for a pooled null of B = permutations draws: verdicts as the worker makes them (BH within the layer, q < 0.05).
    const options = { alpha: 0.05, pi0: false };
    const v = verdictsFor(rows.map((r) => r.p_value!), options);
    rows.forEach((r, i) => {
      r.q_value = v.q[i];
      r.beats_noise = v.beats[i];
      r.effect = r.z_score;
      r.effect_ci = [r.z_score! - 0.5, r.z_score! + 0.5];
    });
    layer.null = { B: opts.permutations, pooled: true, mean: 0, sd: 0.04, q50: 0, q95: 0.066, q99: 0.093, max: 0.1, ks_normal: 0.05 };
    layer.verdict_rule = verdictRule('crossfit', { kind: 'permutation', B: opts.permutations, pooled: true, tail: 'empirical+normal-t' }, options, v.pi0);
  }
  return layer;
}

/** Model (reused by name), version, dataset (reused), a completed analysis and all its layer results. */
export async function seedNetwork(db: PrismaClient, opts: SeedNetwork): Promise<{ analysisId: string; versionId: string; modelId: string }> {
  const model =
    (await db.model.findFirst({ where: { labId: opts.labId, name: opts.modelName } })) ??
    (await db.model.create({ data: { labId: opts.labId, name: opts.modelName, createdById: opts.userId } }));
  const stored = opts.layers.map(([name, channels, size]) => ({
    name,
    outputName: `${name}.out`,
    channels,
    mapHeight: size,
    mapWidth: size,
    kernelSize: [3, 3],
    stride: [1, 1],
    dilation: [1, 1],
    padding: [1, 1, 1, 1],
    groups: 1,
  }));
  const version =
    (await db.modelVersion.findFirst({ where: { modelId: model.id }, orderBy: { version: 'desc' } })) ??
    (await db.modelVersion.create({
      data: {
        modelId: model.id,
        version: 1,
        format: 'onnx',
        storagePath: `models/${model.id}.onnx`,
        sha256: hashSeed(opts.modelName).toString(16),
        sizeBytes: 1n,
        layers: stored,
        inputShape: [3, 224, 224],
        outputShape: [1000],
        createdById: opts.userId,
      },
    }));
  const dataset =
    (await db.dataset.findFirst({ where: { labId: opts.labId, name: 'imagenet-sample' } })) ??
    (await db.dataset.create({
      data: { labId: opts.labId, name: 'imagenet-sample', kind: 'folder', spec: { kind: 'folder' }, classes: [], counts: { total: 300, skipped: 0, perClass: {} }, createdById: opts.userId },
    }));
  const now = new Date();
  const analysis = await db.analysis.create({
    data: {
      labId: opts.labId,
      modelVersionId: version.id,
      datasetId: dataset.id,
      title: opts.title ?? `${opts.modelName} · class ${opts.classIndex} · run ${opts.runSeed}`,
      target: { kind: 'class', index: opts.classIndex },
      layers: 'all',
      options: { images: opts.images ?? 300, components: 5, flavour: 'acepack', rankBy: 'crossfit', permutations: opts.permutations ?? 0, crossFitRepeats: 2, bootstrap: 0, stabilityComponents: [], seed: opts.runSeed, ablation: opts.ablation ?? false, retest: opts.retest ?? false },
      status: 'completed',
      progress: 1,
      createdById: opts.userId,
      startedAt: now,
      finishedAt: now,
    },
  });
  for (let i = 0; i < opts.layers.length; i++) await saveLayerResult(db, analysis.id, i, syntheticLayer(opts, i));
  return { analysisId: analysis.id, versionId: version.id, modelId: model.id };
}
