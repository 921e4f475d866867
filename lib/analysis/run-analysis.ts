/**
 * Runs one analysis end to end: forward passes planned to a memory budget,
 * channels scored on all cores. The model and images are opened as the
 * artifacts open them (inputs.ts); a worker runs the group of layer tasks it
 * claimed as one run, storing each layer as it finishes (onLayer).
 */
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolveLayers, type ConvLayerInfo, type ModelEngine } from '../models/engine';
import { CaptureArena, forwardPass } from './capture';
import { prepareSpill, spillRoom } from './spill-room';
import { PcaceInputError } from '../pcace/index';
import type { ChannelTaskOptions, ChannelTaskResult } from './channel-task';
import { channelTaskOptions, scoreChannels, summariseLayer, LayerScoringCancelled } from './layer-scorer';
import { releaseScoringMemory, withKeptScoringThreads } from './scoring-threads';
import { deepestPassFirst, DEFAULT_MEMORY_BUDGET_BYTES, memoryLimitBytes, planMemory, type CaptureSlice } from './plan';
import { asInputError, inputCacheBytes, InputBatches, openAnalysisInputs } from './inputs';
import { echoSpec, toChannelResults } from './results';
import { issueText, validateOptions } from './options';
import { layerVerdictFields } from './layer-verdicts';
import { globalRanking } from './global-ranking';
import { attachRetest, openRetestSample, retestTaskOptions } from './retest';
import { softwareVersions } from './versions';
import { traceMemory } from './memory-trace';
import { collectGarbage } from './collect-garbage';
import { datasetTargets, targetsFromDataset, writeTargets } from './response';
import type { AnalysisProgress, AnalysisResult, AnalysisSpec, LayerResult, RunSummary } from './types';

export interface RunAnalysisOptions {
  onProgress?: (p: AnalysisProgress) => void;
  /** Polled between batches and channels; true abandons the run with AnalysisCancelled. */
  shouldStop?: () => boolean;
  /**
   * Resident memory the analysis plans for (default PCACE_MEMORY_MB, else
   * 3 GiB): the captured activations per forward pass, the forward batch and
   * the spill chunks follow from it (plan.ts).
   */
  memoryLimitBytes?: number;
  /** Captured activations per forward pass, instead of what the limit leaves (tests force spilling with it). */
  memoryBudgetBytes?: number;
  /**
   * Bytes one forward pass may spill to disk instead of running another pass
   * (default: the resident limit for layers that fit the capture budget, and
   * half the spill disk's free space in all; 0: only layers bigger than the
   * capture budget spill, each in a pass of its own).
   */
  spillBytes?: number;
  /** Statistics threads (default: all cores). */
  threads?: number;
  /** ONNX Runtime intra-op threads (default: all cores). */
  modelThreads?: number;
  batchSize?: number;
  /** Folder for the spill files of layers bigger than the budget (default: PCACE_SPILL_DIR). */
  spillDir?: string;
  /** Free bytes under the spill folder (default: statfs); a seam for tests. */
  freeSpace?: (dir: string) => number;
  /**
   * With importance measures on two or more layers, the network-wide deletion
   * curves once every layer is done (default true). A worker's layer task
   * sees one layer: the portal queues them as a task of their own instead.
   */
  networkCurves?: boolean;
  /**
   * Each layer once it is final (scored, with its importance, sanity checks and
   * retest), before the next is scored: a worker stores it at once, so a run of
   * many layers keeps its finished ones when it is stopped or killed. With
   * sanity checks a layer is final once its group is checked, after every
   * layer is scored (the groups share their trained passes, sanity-runs.ts).
   */
  onLayer?: (layer: LayerResult, run: RunSummary) => Promise<void> | void;
  /**
   * Asked before a layer is scored; false leaves it out of this run (its
   * captured maps unscored): a worker's layer that another worker took
   * (lib/queue/work-taking.ts).
   */
  mayScoreLayer?: (name: string) => Promise<boolean>;
}

export class AnalysisCancelled extends Error {
  constructor() {
    super('analysis cancelled');
    this.name = 'AnalysisCancelled';
  }
}

export function runAnalysis(spec: AnalysisSpec, options: RunAnalysisOptions = {}): Promise<AnalysisResult> {
  // One set of statistics threads for every layer of the run, not one per layer.
  return withKeptScoringThreads(() => runWithThreads(spec, options));
}

async function runWithThreads(spec: AnalysisSpec, options: RunAnalysisOptions): Promise<AnalysisResult> {
  const t0 = performance.now();
  validateSpec(spec);
  const progress = options.onProgress ?? (() => {});
  progress({ fraction: 0, phase: 'loading' });
  const opened = await openAnalysisInputs(spec, { threads: options.modelThreads });
  const engine = opened.model;
  traceMemory('model loaded');
  let spillDir = '';
  try {
    const ds = await opened.dataset();
    traceMemory('dataset opened');
    const n = ds.samples.length;
    if (n < 10) throw new PcaceInputError(`the dataset yielded ${n} usable images; PCACE needs at least 10`);
    const all = engine.listConvLayers();
    const requested = spec.layers;
    const layers = requested === 'all' ? all : await asInputError('bad layer list', async () => resolveLayers(all, requested));
    const maxBatch = options.batchSize ?? defaultBatchSize(engine);
    // What the process holds is measured for the plan: without the model file's garbage.
    collectGarbage();
    traceMemory('garbage collected');
    const limit = options.memoryLimitBytes ?? memoryLimitBytes();
    const plan = planMemory(layers, n, {
      limit,
      resident: process.memoryUsage().rss,
      inputs: inputCacheBytes(n, opened.inputShape),
      convPerImage: all.reduce((sum, l) => sum + 4 * l.channels * l.mapHeight * l.mapWidth, 0),
      threads: options.threads ?? availableParallelism(),
      maxBatch,
      copiesPerThread: spec.bootstrap > 0 || spec.stabilityComponents.length > 0 ? 1 : 0,
      captureBytes: options.memoryBudgetBytes,
      ...spillRoom(limit, options),
    });
    const passes = deepestPassFirst(plan.passes, all);
    const budget = plan.captureBytes;
    // What the ablation's and the sanity checks' split models may keep beside the capture buffer; the cost estimate prices them at it.
    const splitBudget = Math.min(budget, DEFAULT_MEMORY_BUDGET_BYTES);
    traceMemory(`plan: ${passes.length} passes, ${Math.round(budget / 2 ** 20)} MB captured at once, batches of ${plan.batchSize}, ${plan.threads} scoring threads, peak expected ${Math.round(plan.peakBytes / 2 ** 20)} MB`);

    const inputs = new InputBatches(opened, n, maxBatch);
    const arena = new CaptureArena(Math.max(0, ...passes.map((p) => p.bytes)));
    spillDir = prepareSpill(passes, n, options);
    const fromDataset = targetsFromDataset(spec);
    const summary: RunSummary = {
      model: { backend: engine.backend, input: engine.input.shape, layers: all.length },
      dataset: { images: n, classes: ds.classes, skipped: ds.skipped.length },
      versions: softwareVersions(engine.backend),
    };
    const finished = async (layer: LayerResult) => {
      await options.onLayer?.(layer, summary);
    };
    // The response comes from the first forward pass (every pass sees the same images; deepestPassFirst).
    const y = fromDataset ? datasetTargets(ds) : new Float64Array(n);

    // A retest ranks every channel a second time.
    let totalChannels = layers.reduce((s, l) => s + l.channels, 0) * (spec.retest ? 2 : 1);
    /** Layers left out on mayScoreLayer's word. */
    const skipped = new Set<string>();
    let channelsDone = 0;
    let forwardSeconds = 0;
    let forwardPasses = 0;
    /** Channels scored per layer, for the layer's own progress. */
    const layerScored = new Map<string, number>();
    let statsSeconds = 0;
    const partial = new Map<string, ChannelTaskResult[]>();
    const layerSeconds = new Map<string, number>();
    const results: LayerResult[] = [];
    const report = (phase: AnalysisProgress['phase'], passIndex: number, extra: Partial<AnalysisProgress> = {}) => {
      const f = passes.length ? 0.1 * (passIndex / passes.length) + 0.9 * (channelsDone / Math.max(1, totalChannels)) : 1;
      const elapsed = (performance.now() - t0) / 1000;
      progress({ fraction: f, phase, etaSeconds: f > 0.02 ? (elapsed * (1 - f)) / f : undefined, channelsDone, channels: totalChannels, ...extra });
    };
    const stop = () => {
      if (options.shouldStop?.()) throw new AnalysisCancelled();
    };
    /**
     * Every pass over one image sample (the analysis' own, or the retest's):
     * the forward pass captures the pass's slices, the first pass also fills
     * the response, and each slice's channels are scored and handed on.
     */
    const sweep = async (
      batches: InputBatches,
      response: Float64Array,
      taskOptions: (layer: ConvLayerInfo) => ChannelTaskOptions,
      onChunk: (slice: CaptureSlice, chunk: ChannelTaskResult[], seconds: number, passIndex: number, data: Float32Array) => Promise<void>,
    ) => {
      for (let p = 0; p < passes.length; p++) {
        const pass = passes[p];
        report('forward', p, { layer: pass.slices[0].layer.name });
        const tf = performance.now();
        // Only the first pass reads the model output (the response); the others stop at their last layer.
        const onOutput = p === 0 && !fromDataset ? (out: Float32Array, offset: number, count: number) => writeTargets(response, out, offset, count, spec) : undefined;
        const captured = await forwardPass(engine, batches, pass.slices, n, plan.batchSize, arena, spillDir, stop, onOutput);
        forwardSeconds += (performance.now() - tf) / 1000;
        traceMemory(`pass ${p + 1}/${passes.length} captured (${pass.slices.map((s) => `${s.layer.name}[${s.start}:${s.end}]${s.spill ? ' spilled' : ''}`).join(', ')})`);
        forwardPasses++;
        for (let s = 0; s < pass.slices.length; s++) {
          const slice = pass.slices[s];
          const { layer } = slice;
          if (skipped.has(layer.name)) continue;
          // Asked once, as the layer's first slice is about to be scored (a retest's sweep finds it in results).
          if (options.mayScoreLayer && slice.start === 0 && !results.some((r) => r.name === layer.name) && !(await options.mayScoreLayer(layer.name))) {
            skipped.add(layer.name);
            totalChannels -= layer.channels * (spec.retest ? 2 : 1);
            continue;
          }
          const ts = performance.now();
          const where = { layer: layer.name, layerIndex: layers.indexOf(layer), layerCount: layers.length };
          const scoredBefore = layerScored.get(layer.name) ?? 0;
          const at = (done: number) => ({ ...where, layerFraction: (scoredBefore + done) / (layer.channels * (spec.retest ? 2 : 1)) });
          report('statistics', p, at(0));
          const before = channelsDone;
          const data = await captured.load(s);
          traceMemory(`${layer.name}[${slice.start}:${slice.end}] loaded`);
          let chunk: ChannelTaskResult[];
          try {
            chunk = await scoreChannels(
              { data, n, channels: slice.end - slice.start, positions: layer.mapHeight * layer.mapWidth, y: response },
              {
                ...taskOptions(layer),
                channelOffset: slice.start,
                threads: plan.threads,
                shouldStop: options.shouldStop,
                onChannel: (done) => {
                  channelsDone = before + done;
                  layerScored.set(layer.name, scoredBefore + done);
                  report('statistics', p, at(done));
                },
              },
            );
          } catch (err) {
            if (err instanceof LayerScoringCancelled) throw new AnalysisCancelled();
            throw err;
          }
          const seconds = (performance.now() - ts) / 1000;
          statsSeconds += seconds;
          traceMemory(`${layer.name}[${slice.start}:${slice.end}] scored`);
          await onChunk(slice, chunk, seconds, p, data);
        }
        releaseScoringMemory();
      }
    };

    await sweep(inputs, y, (layer) => channelTaskOptions(spec, layer.channels), async (slice, chunk, seconds, p, data) => {
      const { layer } = slice;
      partial.set(layer.name, [...(partial.get(layer.name) ?? []), ...chunk]);
      layerSeconds.set(layer.name, (layerSeconds.get(layer.name) ?? 0) + seconds);
      if (slice.end < layer.channels) return;
      const layerResult = buildLayerResult(layer, n, partial.get(layer.name)!, layerSeconds.get(layer.name)!, spec);
      if (spec.ablation) {
        stop();
        // The ablation runs the model: the scoring threads' buffers are not counted beside it.
        releaseScoringMemory();
        report('ablation', p + 1, { layer: layer.name, layerIndex: layers.indexOf(layer), layerCount: layers.length });
        const ta = performance.now();
        // Loaded on demand: a plain analysis never needs the edited-graph runner.
        const { importanceForLayer } = await import('./importance/layer-step');
        layerResult.importance = await importanceForLayer(spec, layer, await inputs.all(), ds.samples, engine.output.shape.reduce((a, b) => a * b, 1), layerResult.channels, {
          memoryBudgetBytes: splitBudget,
          threads: options.modelThreads,
          shouldStop: options.shouldStop,
          onFraction: () => report('ablation', p + 1, { layer: layer.name, layerIndex: layers.indexOf(layer), layerCount: layers.length }),
        });
        // Group PCACE needs the whole layer's maps: in memory when the layer was one slice (kept or spilled and loaded back).
        if (slice.start === 0 && slice.end === layer.channels) {
          const { layerGroups } = await import('./importance/groups');
          const values = (key: string) => [...layerResult.channels].sort((a, b) => a.index - b.index).map((c) => (c as unknown as Record<string, number | undefined>)[key] ?? NaN);
          const pcace = layerResult.importance.settings.pcace;
          layerResult.importance.groups = layerGroups(
            { data, n, channels: layer.channels, positions: layer.mapHeight * layer.mapWidth },
            y,
            spec,
            layerResult.channels,
            [{ by: pcace, values: values(pcace) }, { by: 'mean_ablation_rms', values: values('mean_ablation_rms') }],
          );
        }
        layerResult.seconds += (performance.now() - ta) / 1000;
      }
      partial.delete(layer.name);
      results.push(layerResult);
      // With sanity checks or a retest the layer is final only once they are attached.
      if (!spec.retest && !spec.sanityChecks) await finished(layerResult);
    });

    if (spec.sanityChecks && results.length) {
      // After every layer is scored, so the layers' randomised models share their trained prefix passes (sanity-runs.ts).
      stop();
      report('sanity', passes.length, { layer: results.length === 1 ? results[0].name : 'all analysed layers' });
      const { addSanityChecks } = await import('./sanity');
      const checked = layers.filter((l) => !skipped.has(l.name)).map((layer) => ({ layer, result: results.find((r) => r.name === layer.name)! }));
      await addSanityChecks(checked, {
        spec,
        n,
        y,
        load: (start, count) => inputs.batch(start, count),
        batchSize: maxBatch,
        inputShape: engine.input.shape,
        fixedBatchSize: engine.input.fixedBatchSize,
        memoryBudgetBytes: splitBudget,
        threads: options.threads,
        modelThreads: options.modelThreads,
        stop,
        // Layers are checked group by group: each is handed on as its group finishes.
        onChecked: async (l) => {
          l.seconds += l.sanity!.seconds;
          if (!spec.retest) await finished(l);
        },
      });
    }
    if (spec.retest) {
      const sample = await openRetestSample(spec, opened, ds.samples);
      if ('reason' in sample) {
        for (const l of results) {
          l.warnings.push(sample.reason);
          await finished(l);
        }
      } else {
        try {
          const retestResponse = fromDataset ? datasetTargets(sample) : new Float64Array(n);
          const retestBatches = new InputBatches({ load: sample.load, inputShape: opened.inputShape }, n, maxBatch);
          await sweep(retestBatches, retestResponse, (layer) => retestTaskOptions(spec, layer.channels), async (slice, chunk, seconds) => {
            const { layer } = slice;
            const layerResult = results.find((r) => r.name === layer.name)!;
            layerResult.seconds += seconds;
            partial.set(layer.name, [...(partial.get(layer.name) ?? []), ...chunk]);
            if (slice.end < layer.channels) return;
            attachRetest(layerResult, partial.get(layer.name)!, spec, n);
            partial.delete(layer.name);
            await finished(layerResult);
          });
        } finally {
          await sample.close();
        }
      }
    }
    results.sort((a, b) => layers.findIndex((l) => l.name === a.name) - layers.findIndex((l) => l.name === b.name));
    const global = globalRanking(results);
    let network: AnalysisResult['network_curves'];
    if (spec.ablation && options.networkCurves !== false && results.length > 1) {
      stop();
      report('ablation', passes.length, { layer: 'all analysed layers' });
      const { networkDeletionCurves } = await import('./importance/network-curves');
      const ordered = layers.map((l) => results.find((r) => r.name === l.name)!);
      network = await networkDeletionCurves(spec, ordered, await inputs.all(), ds.samples, engine.output.shape.reduce((a, b) => a * b, 1), {
        threads: options.modelThreads,
        shouldStop: options.shouldStop,
      });
    }
    const elapsed = (performance.now() - t0) / 1000;
    progress({ fraction: 1, phase: 'done', channelsDone, channels: totalChannels, etaSeconds: 0 });
    return {
      spec: echoSpec(spec),
      ...summary,
      layers: results,
      ...(global ? { global_ranking: global } : {}),
      ...(network ? { network_curves: network } : {}),
      timings: { total_seconds: elapsed, forward_seconds: forwardSeconds, forward_passes: forwardPasses, statistics_seconds: statsSeconds },
    };
  } finally {
    if (spillDir) rmSync(spillDir, { recursive: true, force: true });
    await opened.close();
  }
}

function buildLayerResult(layer: ConvLayerInfo, n: number, channels: ChannelTaskResult[], seconds: number, spec: AnalysisSpec): LayerResult {
  channels.sort((a, b) => a.index - b.index);
  const summary = summariseLayer(channels, channelTaskOptions(spec, layer.channels));
  const warnings = [...new Set(channels.flatMap((c) => c.score.warnings))];
  return {
    name: layer.name,
    shape: [n, layer.channels, layer.mapHeight, layer.mapWidth],
    kernel: layer.kernelSize,
    seconds,
    channels: toChannelResults(channels, summary, layer, spec.rankBy),
    rank_stability: summary.stability
      ? { ks: summary.stability.ks, spearman: summary.stability.spearman.map((row) => row.map((s) => s.rho)) }
      : undefined,
    ...layerVerdictFields(summary),
    warnings,
  };
}

/**
 * Images per forward batch: about 5 MiB of input (8 images at 3×224×224, 64 at
 * 32×32). The engine runs without a persistent memory arena (memory returns to
 * the system after each batch), so every intermediate tensor is a fresh
 * allocation: at 55 images of 224² (176 MB per ResNet-18 stem tensor) that made
 * the pass 3× slower than with the arena, at 8 images it costs nothing measurable.
 */
export function defaultBatchSize(engine: Pick<ModelEngine, 'input'>): number {
  const perImage = engine.input.shape.reduce((a, b) => a * b, 1);
  return engine.input.fixedBatchSize ?? Math.max(1, Math.min(64, Math.floor((5 << 20) / (perImage * 4))));
}

/** The declared validation of the options (lib/analysis/options.ts), the same the server ran when the analysis was created. */
function validateSpec(spec: AnalysisSpec): void {
  const issues = validateOptions(spec, { format: spec.model.format, target: spec.target, datasetKind: spec.dataset.kind });
  if (issues.length) throw new PcaceInputError(issues.map((i) => issueText(i)).join('; '));
}
