/**
 * What an analysis will cost before it runs, so the portal can show it on the
 * form and refuse analyses past a lab's CPU-hours limit. Pure: the model's
 * stored conv layers and the options in, CPU-seconds out.
 *
 * The queue has one task per layer, priced as if each ran alone: open the
 * model and the images, one forward pass over all images capturing the layer,
 * then per channel PCA and the ACE fits the options ask for, then optionally
 * one masked forward pass per channel for ablation. A worker runs the group of
 * tasks it claims with one opening and one forward pass (workers/worker.ts),
 * so setup and forward are an upper bound: each group pays them once, not
 * each layer. `layerSeconds` (without them) balances the groups. The constants below are
 * single-thread costs on the 2-core AMD EPYC of bench/README.md ("Cost
 * estimate" checks them against `pcace rank`); they are meant to be right
 * within a factor of about 2, which is what a quota needs.
 */
import type { ComponentsSpec } from '../pcace/index';
import { nullPermutationCount } from './layer-verdicts';
import { DEFAULT_MEMORY_BUDGET_BYTES } from './plan';
import { randomFilterCount, sanityChannelCount } from './sanity-plan';
import { OPTION_LIST, type CostTerm } from './options';
import type { AnalysisSpec } from './types';
import { measureRuns } from './importance/measures';
import { curveRuns } from './importance/curves';
import { IMPORTANCE_MEASURES } from './importance/types';

/** A conv layer as stored with a model version (ModelVersion.layers). */
export interface CostLayer {
  name: string;
  channels: number;
  mapHeight: number;
  mapWidth: number;
  kernelSize: [number, number];
  groups: number;
  /** Input channels when the engine recorded them; else derived (see inputChannels). */
  inChannels?: number;
}

export interface CostModel {
  /** Every conv layer of the model in execution order. */
  layers: CostLayer[];
  /** Per-sample input [C, H, W]. */
  inputShape: number[];
  format: 'onnx' | 'tfjs';
}

/** The options that price an analysis: the declared ones (lib/analysis/options.ts), not a copy of them. */
export type CostOptions = Pick<
  AnalysisSpec,
  'images' | 'components' | 'flavour' | 'rankBy' | 'permutations' | 'crossFitRepeats' | 'bootstrap' | 'stabilityComponents' | 'ablation' | 'conductanceSteps' | 'curveRandomOrders' | 'nullPermutations' | 'perChannelNull' | 'sanityChecks' | 'retest'
>;

export interface CostBreakdown {
  /** Opening the model and the images, once per layer task. */
  setup: number;
  forward: number;
  pca: number;
  /** The in-sample ACE fit per channel. */
  fit: number;
  crossfit: number;
  permutations: number;
  bootstrap: number;
  stability: number;
  /** The permutation null behind the verdicts. */
  null: number;
  ablation: number;
  /** Random-filter baseline and model randomisation (lib/analysis/sanity.ts). */
  sanity: number;
  /** The second sample of a test–retest: forward pass, PCA, fit and cross-fit again. */
  retest: number;
}

export interface CostEstimate {
  /** Single-thread CPU-seconds of the whole analysis. */
  cpuSeconds: number;
  cpuHours: number;
  /** Wall-clock seconds on one worker with `threads` threads (setup is serial). */
  wallSeconds: number;
  threads: number;
  tasks: number;
  channels: number;
  images: number;
  /** CPU-seconds per part; they sum to cpuSeconds. */
  breakdown: CostBreakdown;
  /**
   * CPU-seconds each analysed layer adds to a group of layers run together (in the order
   * of `layers`): everything priced for it but the task setup and the forward pass, which
   * a group pays once whatever its layers, and without the network-wide curves. What
   * balances the queue's layer groups: counted per layer, that flat part hid how
   * the layers differ (at 224² the forward pass is most of each layer's price).
   */
  layerSeconds: number[];
  /** The breakdown in one line, for the form and for refusals. */
  summary: string;
  /** The options behind the largest parts, biggest first ("permutations (72 %), bootstrap replicates (20 %)"); empty when only images and layers matter. */
  advice: string;
}

/** Which options to lower, from their declared cost terms (lib/analysis/options.ts): those behind parts of ≥ 5 % of the cost. */
export function costAdvice(b: CostBreakdown, cpuSeconds: number, options: Partial<Record<string, unknown>> = {}): string {
  const parts = new Map<string, number>();
  for (const d of OPTION_LIST) {
    if (!d.costTerm || !d.costly || cpuSeconds <= 0) continue;
    const share = b[d.costTerm satisfies keyof CostBreakdown] / cpuSeconds;
    // A switch that is off did not make it expensive (the per-channel null's term is the pooled null's too).
    if (share < 0.05 || options[d.name] === false) continue;
    parts.set(d.noun, Math.max(parts.get(d.noun) ?? 0, share));
  }
  return [...parts].sort((x, y) => y[1] - x[1]).map(([noun, share]) => `${noun} (${Math.round(100 * share)} %)`).join(', ');
}

/** Measured constants (bench/README.md "Cost estimate"); seconds per unit on one thread. */
export const COST = {
  /** Model and dataset opening per layer task. */
  taskSetup: 1.0,
  /** ONNX Runtime conv throughput including capture, FLOP per CPU-second (its GEMM peak is ~210 G). */
  forwardFlopsPerSecond: 100e9,
  /** Decoding and preprocessing an image, per input value, plus a fixed part per image and pass. */
  perInputValue: 20e-9,
  perImagePass: 0.3e-3,
  /** Ops that are not convolutions (pooling, dense head) per image in an ablation pass. */
  ablationPerImage: 0.1e-3,
  /** PCA: Gram matrix build per multiply-add (blocked), Lanczos and copies per flop. */
  gramFlop: 0.5e-9,
  lanczosFlop: 1.3e-9,
  /** One acepack ACE fit per row and variable (n = 300, k = 10 → ~1.6 ms). */
  aceRowVar: 0.5e-6,
  /** pcace-2021's ACE runs each sweep to its stopping rule. */
  pcace2021Factor: 3,
  /** Permuted responses take more ACE iterations than the real one. */
  permutationFactor: 1.5,
  /** Resampled images repeat, and ties slow ACE: a bootstrap replicate's fits cost this many ordinary ones. */
  bootstrapTieFactor: 2,
  /** Activation budget per pass (run-analysis.ts's default); ablation above it reruns the whole model. */
  memoryBudgetBytes: DEFAULT_MEMORY_BUDGET_BYTES,
} as const;

/** 2·multiply-adds of one image through a conv layer. */
export function convFlops(layer: CostLayer, inChannels: number): number {
  const [kh, kw] = layer.kernelSize;
  const perGroupIn = Math.max(1, Math.round(inChannels / Math.max(1, layer.groups)));
  return 2 * layer.channels * layer.mapHeight * layer.mapWidth * perGroupIn * kh * kw;
}

/**
 * Input channels per layer: recorded ones when present; else the previous
 * conv's output channels (the model input's for the first), which is exact for
 * plain chains and close for residual networks (a downsample branch reads the
 * block input, whose width is the previous stage's). A depthwise conv
 * (groups = channels) reads one channel per group whatever this says.
 */
export function inputChannels(model: CostModel): number[] {
  let previous = model.inputShape[0] ?? 3;
  return model.layers.map((l) => {
    const cin = l.inChannels ?? previous;
    previous = l.channels;
    return cin;
  });
}

function componentsFor(spec: ComponentsSpec, positions: number, n: number): { lanczos: number; ace: number } {
  const maxRank = Math.max(1, Math.min(positions, n - 1));
  if (spec === 'half') {
    const k = Math.min(maxRank, Math.max(1, Math.floor(positions / 2)));
    return { lanczos: k, ace: k };
  }
  if (typeof spec === 'number') {
    const k = Math.min(maxRank, spec);
    return { lanczos: k, ace: k };
  }
  // A variance fraction resolves all components first (lib/pcace/pca.ts), then
  // keeps the fewest that reach it: a handful to tens on activation maps.
  return { lanczos: maxRank, ace: Math.min(maxRank, Math.max(1, Math.ceil(spec.varianceFraction * 20))) };
}

/** Single-thread seconds of one channel's PCA at n images, P positions and k components. */
function pcaSeconds(n: number, positions: number, k: number): number {
  const dim = Math.min(n, positions);
  const steps = Math.min(dim, 40 + 3 * k);
  const copies = 10 * n * positions;
  if (positions <= n) return COST.lanczosFlop * (copies + steps * 2 * n * positions + steps * steps * positions);
  return COST.gramFlop * n * n * positions + COST.lanczosFlop * (copies + steps * 2 * n * n + steps * steps * n);
}

function aceSeconds(n: number, k: number, flavour: CostOptions['flavour']): number {
  return COST.aceRowVar * n * (k + 1) * (flavour === 'pcace-2021' ? COST.pcace2021Factor : 1);
}

/** Single-thread seconds to score one channel once (PCA and the ranking statistic), as the sanity checks do. */
export function channelScoringSeconds(options: Pick<CostOptions, 'components' | 'flavour' | 'crossFitRepeats'>, n: number, positions: number): number {
  const k = componentsFor(options.components, positions, n);
  return pcaSeconds(n, positions, k.lanczos) + aceSeconds(n, k.ace, options.flavour) * (1 + options.crossFitRepeats);
}

export interface EstimateInput {
  model: CostModel;
  /** Names of the layers to analyse, or 'all'. */
  layers: 'all' | string[];
  options: CostOptions;
  /** Statistics threads of a worker (PCACE_WORKER_THREADS, default all cores). */
  threads: number;
  /**
   * Images the dataset can give; the analysis uses min(images, available).
   * Unknown → the requested number.
   */
  availableImages?: number;
}

export function estimateAnalysisCost(input: EstimateInput): CostEstimate {
  const { model, options } = input;
  const threads = Math.max(1, Math.floor(input.threads));
  const n = Math.max(1, Math.min(options.images, input.availableImages ?? options.images));
  const cins = inputChannels(model);
  const flops = model.layers.map((l, i) => convFlops(l, cins[i]));
  const totalFlops = flops.reduce((a, b) => a + b, 0);
  const inputValues = model.inputShape.reduce((a, b) => a * b, 1);
  const passSeconds = (flopsPerImage: number, perImage: number) => n * (flopsPerImage / COST.forwardFlopsPerSecond + perImage);
  const chosen = input.layers === 'all' ? model.layers.map((_, i) => i) : input.layers.map((name) => model.layers.findIndex((l) => l.name === name)).filter((i) => i >= 0);

  const b: CostBreakdown = { setup: 0, forward: 0, pca: 0, fit: 0, crossfit: 0, permutations: 0, bootstrap: 0, stability: 0, null: 0, ablation: 0, sanity: 0, retest: 0 };
  let channels = 0;
  const layerSeconds: number[] = [];
  const total = () => Object.values(b).reduce((a, x) => a + x, 0);
  const bootstrapStat = options.rankBy === 'crossfit' ? 'crossfit' : 'other';
  for (const i of chosen) {
    const layer = model.layers[i];
    const c = layer.channels;
    const positions = layer.mapHeight * layer.mapWidth;
    channels += c;
    b.setup += COST.taskSetup;
    b.forward += passSeconds(totalFlops, COST.perImagePass + inputValues * COST.perInputValue);
    const before = total();

    const k = componentsFor(options.components, positions, n);
    const fit = aceSeconds(n, k.ace, options.flavour);
    b.pca += c * pcaSeconds(n, positions, k.lanczos);
    b.fit += c * fit;
    // Each repeat fits both halves: two fits on n/2 rows.
    b.crossfit += c * options.crossFitRepeats * fit;
    b.permutations += c * options.permutations * fit * COST.permutationFactor;
    // Each replicate redoes the channel's PCA on the resampled images, then
    // the statistic (lib/pcace/rank-inference.ts bootstrapChannelRefit).
    const replicateFits = bootstrapStat === 'crossfit' ? Math.max(1, options.crossFitRepeats) : 1;
    b.bootstrap += c * options.bootstrap * (pcaSeconds(n, positions, k.lanczos) + replicateFits * fit * COST.bootstrapTieFactor);
    // A null draw refits a channel's ranking statistic on a shuffled response:
    // pooled, B draws per layer (nullPermutationCount); per channel, B draws each.
    const draw = (options.rankBy === 'crossfit' ? Math.max(1, options.crossFitRepeats) : 1) * fit * COST.permutationFactor;
    const nb = options.nullPermutations;
    if (nb !== undefined && nb !== 0) {
      const perLayer = nullPermutationCount(options, c) * (options.perChannelNull ? c : 1);
      b.null += perLayer * draw;
    }
    if (options.retest) {
      b.retest += passSeconds(totalFlops, COST.perImagePass + inputValues * COST.perInputValue);
      b.retest += c * (pcaSeconds(n, positions, k.lanczos) + fit + options.crossFitRepeats * fit);
    }
    for (const ks of options.stabilityComponents) {
      const kk = componentsFor(ks, positions, n);
      b.stability += c * (pcaSeconds(n, positions, kk.lanczos) + aceSeconds(n, kk.ace, options.flavour));
    }
    if (options.ablation) {
      // Every edited run of the importance step (importance/measures.ts and
      // curves.ts count them); the graph is split at the layer when its output
      // fits the budget, else the whole model reruns each time.
      const boundary = n * c * positions * 4;
      const downstream = boundary <= COST.memoryBudgetBytes ? flops.slice(i + 1).reduce((a, x) => a + x, 0) : totalFlops;
      const runs = measureRuns(c, options.conductanceSteps ?? 0) + curveRuns(IMPORTANCE_MEASURES.length + 1, options.curveRandomOrders ?? 0);
      b.ablation += runs * passSeconds(downstream, COST.ablationPerImage);
    }
    if (options.sanityChecks) {
      // Two randomised models loaded (sanity-runs.ts); per image one trained
      // pass up to the layer, the independent model from the layer on (its
      // random filters and the random-filter branch) and the cascading one
      // after the layer: the whole network plus the layer onwards once more.
      // Priced as if the layer ran alone, like the forward pass: layers run
      // together share the trained pass (an upper bound, as setup and forward).
      // Then the random filters scored once (a grouped conv has no branch: its
      // subset's random twins are the baseline) and the subset twice.
      const R = layer.groups === 1 ? randomFilterCount(c) : 0;
      const from = flops.slice(i).reduce((a, x) => a + x, 0) + (R / c) * flops[i];
      b.sanity += 2 * COST.taskSetup + passSeconds(totalFlops + from, 3 * COST.perImagePass + inputValues * COST.perInputValue);
      b.sanity += ((R || sanityChannelCount(c)) + 2 * sanityChannelCount(c)) * channelScoringSeconds(options, n, positions);
    }
    layerSeconds.push(total() - before);
  }
  if (options.ablation && chosen.length > 1) {
    // The network-wide curves (importance/network-curves.ts): the whole model per
    // edited run, PCACE's global order and every measure's, after the last layer.
    b.ablation += COST.taskSetup + curveRuns(IMPORTANCE_MEASURES.length + 1, options.curveRandomOrders ?? 0) * passSeconds(totalFlops, COST.ablationPerImage);
  }
  const cpuSeconds = total();
  const wallSeconds = b.setup + (cpuSeconds - b.setup) / threads;
  return {
    cpuSeconds,
    cpuHours: cpuSeconds / 3600,
    wallSeconds,
    threads,
    tasks: chosen.length,
    channels,
    images: n,
    breakdown: b,
    layerSeconds,
    summary: summarise(b, cpuSeconds, wallSeconds, threads, chosen.length, channels, n),
    advice: costAdvice(b, cpuSeconds, options as unknown as Record<string, unknown>),
  };
}

/** "≈ 2.1 CPU-h (≈ 1.1 h on 2 threads): 4 layers, 4,800 channels × 300 images — forward 12 %, PCA 40 %, …" */
function summarise(b: CostBreakdown, cpu: number, wall: number, threads: number, tasks: number, channels: number, n: number): string {
  const labels: [keyof CostBreakdown, string][] = [
    ['setup', 'setup'],
    ['forward', 'forward'],
    ['pca', 'PCA'],
    ['fit', 'ACE'],
    ['crossfit', 'cross-fit'],
    ['permutations', 'permutations'],
    ['bootstrap', 'bootstrap'],
    ['stability', 'stability'],
    ['null', 'null'],
    ['ablation', 'ablation'],
    ['sanity', 'sanity checks'],
    ['retest', 'retest'],
  ];
  const parts = labels
    .filter(([k]) => b[k] > 0 && b[k] / cpu >= 0.005)
    .sort((x, y) => b[y[0]] - b[x[0]])
    .map(([k, label]) => `${label} ${Math.round((100 * b[k]) / cpu)} %`);
  return `≈ ${formatDuration(cpu)} CPU (≈ ${formatDuration(wall)} on ${threads} thread${threads === 1 ? '' : 's'}): ${tasks} layer${tasks === 1 ? '' : 's'}, ${channels.toLocaleString('en-US')} channels × ${n.toLocaleString('en-US')} images — ${parts.join(', ')}`;
}

export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${(seconds / 3600).toFixed(seconds < 10 * 3600 ? 1 : 0)} h`;
  return `${Math.round(seconds / 86400).toLocaleString('en-US')} days`;
}
