/**
 * The sanity checks of a layer (Adebayo et al. 2018, carried over to channel
 * rankings), run in the analysis' model process once the layer is scored:
 *
 *  - random-filter baseline: the layer's filters replaced by random filters of
 *    the same shape and per-filter norm (everything before the layer trained),
 *    scored with the same statistic against the same target. Per channel the
 *    score minus the baseline mean and a p-value against the baseline; per
 *    layer the trained-vs-random AUC with its interval and a verdict;
 *  - model randomisation, Spearman(trained ranking, randomised ranking) with an
 *    interval: cascading (every parameterised layer after this one re-drawn:
 *    the logit no longer reflects what the network does with the channels)
 *    and independent (this layer's filters alone re-drawn, the rest trained:
 *    the ranking follows the slot's downstream wiring, not the filter, if ρ
 *    stays high).
 *
 * One forward pass per randomised model, each from the layer on only
 * (sanity-runs.ts: the trained part before the layer runs once per group of
 * layers, and is the same in both models). The independent model also carries
 * the random filters of the baseline as a conv branch beside the layer
 * (lib/models/randomise.ts addRandomFilterBranch: same input, kernel, strides
 * and padding; randomFilterCount(C) filters, so a small layer still gets 16),
 * so one pass yields the baseline's maps (scored against the trained target)
 * and the independent ranking. A grouped conv gets no branch: its baseline is
 * the random twins of the rescored channels. The cascading model leaves the
 * layer's maps trained.
 *
 * Cost is bounded by rescoring a subset under randomisation:
 * sanityChannelCount(C) channels (at least 16, an eighth of a big layer),
 * drawn with the analysis seed among the channels that are neither constant
 * nor zero filters (a constant map has no ranking to move and a zero filter
 * has no random twin).
 */
import { readFile } from 'node:fs/promises';
import type { ConvLayerInfo } from '../models/engine';
import { decodeOnnx, tensorValues } from '../models/onnx-graph';
import { parameterisedLayers } from '../models/randomise';
import { bootstrapStatistic, PcaceInputError, Rng, type ChannelScore } from '../pcace/index';
import { aucWithCi, baselineTests, randomFilterVerdict, spearmanWithCi } from '../pcace/sanity';
import { sanityChannelCount } from './sanity-plan';
import { randomisedRuns, type LayerRuns, type RandomisedRun, type SanityRunContext } from './sanity-runs';
import { channelScoringSeconds } from './cost';
import { channelTaskOptions, scoreChannels } from './layer-scorer';
import type { LayerResult, LayerSanity, RandomisationCheck } from './types';

/** The flag a channel gets when its BH q against the random-filter baseline is not below α. */
export const NOT_ABOVE_RANDOM_FILTERS = 'not_above_random_filters';

export interface SanityContext extends SanityRunContext {
  /** Statistics threads. */
  threads?: number;
  /** The randomised models' forward passes (default randomisedRuns); a seam to compare them against whole-model runs. */
  runs?: typeof randomisedRuns;
  /** Each layer once its sanity block is attached. */
  onChecked?: (result: LayerResult) => Promise<void>;
}

export interface SanityLayer {
  layer: ConvLayerInfo;
  /** The scored layer; gets `sanity` and the channels' baseline columns. */
  result: LayerResult;
}

/**
 * Adds `sanity` to each layer's result and the baseline columns to its
 * channels. The layers' randomised models share their trained prefix passes
 * (sanity-runs.ts), so checking several layers in one call costs less than
 * one call each.
 */
export async function addSanityChecks(layers: SanityLayer[], ctx: SanityContext): Promise<void> {
  const { spec } = ctx;
  if (spec.model.format !== 'onnx') throw new PcaceInputError('sanity checks are available for ONNX models only');
  let t0 = performance.now();
  const statistic = bootstrapStatistic(spec.rankBy);
  const bytes = await readFile(spec.model.path);
  const requests = layers.map(({ layer, result }) => {
    const norms = filterNorms(bytes, layer.name);
    const eligible = result.channels.filter((c) => !c.flags.includes('constant') && norms[c.index] > 0).map((c) => c.index);
    return { layer, subset: drawSubset(eligible, sanityChannelCount(layer.channels), spec.seed) };
  });
  await (ctx.runs ?? randomisedRuns)(ctx, requests, async (r, runs) => {
    // A group's forward passes are shared: each layer is charged from the end of the previous layer's scoring.
    await scoreSanity(layers[r].result, ctx, requests[r].subset, runs, statistic);
    layers[r].result.sanity!.seconds = (performance.now() - t0) / 1000;
    await ctx.onChecked?.(layers[r].result);
    t0 = performance.now();
    ctx.stop();
  });
}

async function scoreSanity(result: LayerResult, ctx: SanityContext, subset: number[], runs: LayerRuns, statistic: 'pc1' | 'multiple' | 'crossfit'): Promise<void> {
  const { spec, n } = ctx;
  const layer = { channels: result.shape[1], positions: result.shape[2] * result.shape[3] };
  const trained = result.channels.map((c) => rawStatistic(c, statistic));
  const { independent, cascading } = runs;
  const score = (maps: Float32Array, y: Float64Array) => scoreSubset(ctx, layer, maps, maps.length / (n * layer.positions), y, statistic);
  // The random filters against the trained target: the baseline.
  const baselineMaps = independent.randomFilters ?? independent.maps;
  const baseline = baselineMaps.length ? await score(baselineMaps, ctx.y) : [];
  const sanity: LayerSanity = {
    statistic,
    channels: subset,
    random_filters: { count: baseline.length, scores: baseline, mean: null, sd: null, auc: null, auc_ci: null, trained: 0, verdict: null },
    independent: await randomisationCheck(independent, subset, trained, (y) => score(independent.maps, y)),
    cascading: await randomisationCheck(cascading, subset, trained, (y) => score(cascading.maps, y)),
    seconds: 0,
  };
  const positives = result.channels.filter((c) => !c.flags.includes('constant')).map((c) => trained[c.index]);
  if (baseline.length >= 3) {
    const rule = result.verdict_rule;
    const tests = baselineTests(trained, baseline, { alpha: rule?.alpha ?? spec.alpha ?? 0.05, pi0: rule?.correction === 'BH-Storey' || (spec.pi0 ?? false) });
    const rf = sanity.random_filters;
    rf.mean = tests.summary.mean;
    rf.sd = tests.summary.sd;
    result.channels.forEach((c, i) => {
      c.baseline_corrected = tests.corrected[i];
      c.baseline_z = Number.isFinite(tests.z[i]) ? tests.z[i] : undefined;
      c.baseline_p = tests.p[i];
      c.baseline_q = tests.q[i];
      if (!tests.beats[i]) c.flags = [...c.flags, NOT_ABOVE_RANDOM_FILTERS];
    });
    if (positives.length >= 2) {
      const auc = aucWithCi(positives, baseline);
      rf.auc = auc.auc;
      rf.auc_ci = auc.ci;
      rf.trained = positives.length;
      rf.verdict = randomFilterVerdict(auc.ci);
    }
  }
  result.sanity = sanity;
}

function rawStatistic(c: LayerResult['channels'][number], statistic: 'pc1' | 'multiple' | 'crossfit'): number {
  return statistic === 'pc1' ? c.score_pc1 : statistic === 'multiple' ? c.score_multiple : c.score_crossfit ?? 0;
}

/** Frobenius norm of each output filter of the layer's weight. */
function filterNorms(bytes: Uint8Array, layer: string): Float64Array {
  const p = parameterisedLayers(decodeOnnx(bytes)).find((l) => l.convName === layer);
  if (!p) throw new PcaceInputError(`sanity checks need layer '${layer}' to have constant weights`);
  const w = tensorValues(p.weight)!;
  const rows = Number(p.weight.dims?.[0] ?? 1);
  const per = w.length / rows;
  return Float64Array.from({ length: rows }, (_, r) => {
    let s = 0;
    for (let i = r * per; i < (r + 1) * per; i++) s += w[i] * w[i];
    return Math.sqrt(s);
  });
}

/** `count` of `pool` drawn without replacement by the seed, in channel order. */
function drawSubset(pool: number[], count: number, seed: number): number[] {
  if (pool.length <= count) return [...pool];
  const rng = new Rng((seed * 2654435761 + 0x5a17) >>> 0);
  const a = Int32Array.from(pool);
  rng.shuffle(a);
  return Array.from(a.subarray(0, count)).sort((x, y) => x - y);
}

/** The ranking statistic of each subset channel against `y`, exactly as the layer's channels were scored (same splits and repeat rule). */
async function scoreSubset(
  ctx: SanityContext,
  layer: { channels: number; positions: number },
  maps: Float32Array,
  count: number,
  y: Float64Array,
  statistic: 'pc1' | 'multiple' | 'crossfit',
): Promise<number[]> {
  const P = layer.positions;
  const base = channelTaskOptions(ctx.spec, layer.channels);
  // Worker threads take a second or more to start: small jobs run inline.
  const seconds = count * channelScoringSeconds(ctx.spec, ctx.n, P);
  const results = await scoreChannels(
    { data: maps, n: ctx.n, channels: count, positions: P, y },
    { ...base, permutations: 0, bootstrap: 0, stabilityComponents: [], nullDraws: undefined, threads: seconds < 2 ? 0 : ctx.threads },
  );
  return results.map((r) => pick(r.score, statistic));
}

function pick(s: ChannelScore, statistic: 'pc1' | 'multiple' | 'crossfit'): number {
  return statistic === 'pc1' ? s.score_pc1 : statistic === 'multiple' ? s.score_multiple : s.score_crossfit ?? 0;
}

async function randomisationCheck(
  run: RandomisedRun,
  subset: number[],
  trained: number[],
  score: (y: Float64Array) => Promise<number[]>,
): Promise<RandomisationCheck> {
  const check: RandomisationCheck = { randomised: run.randomised, scores: [], rho: null, rho_ci: null };
  if (run.randomised.length === 0) return { ...check, note: 'nothing follows this layer: no cascading randomisation' };
  if (subset.length < 4) return { ...check, note: `${subset.length} channels to compare: a Spearman interval needs at least 4` };
  const y = run.y;
  if (y.every((v) => v === y[0])) return { ...check, note: 'the randomised model gives every image the same target: no ranking' };
  check.scores = await score(y);
  const s = spearmanWithCi(subset.map((c) => trained[c]), check.scores);
  if (Number.isFinite(s.rho)) {
    check.rho = s.rho;
    check.rho_ci = s.ci;
  } else check.note = 'every channel scored the same under randomisation: no ranking';
  return check;
}
