/**
 * Layer tasks and channel artifacts in a model process (lib/models/sandbox).
 *
 * The whole task runs in the child, model and statistics together: a layer's
 * activations (ResNet-18: ~3 GB per analysis) then never cross a process
 * boundary, only progress and the LayerResult do. The worker keeps its lease
 * and cancel polling in its own, never-blocked event loop and kills the child
 * when the task must stop; a model that breaks a limit fails the task with
 * ModelLimitExceeded (an input error, not retried elsewhere).
 *
 * The jobs themselves (what runs in the child) are in sandbox-jobs.ts.
 */
import { taskLimits, type SandboxLimits } from '../models/sandbox/limits';
import { SandboxStopped } from '../models/sandbox/errors';
import { runSandboxed, startSpareProcess } from '../models/sandbox/process';
import { ArtifactStopped, type ArtifactOptions, type ArtifactOutput, type ArtifactRequest } from './artifacts/compute';
import { AnalysisCancelled } from './run-analysis';
import type { AnalysisProgress, AnalysisResult, AnalysisSpec, LayerResult, RunSummary } from './types';
import type { LayerPart, LayerQuestion } from './sandbox-jobs';
import type { NetworkCurveLayer, NetworkCurves } from './importance/network-curves';

const MODULE = 'lib/analysis/sandbox-jobs.ts';
const ANALYSIS_PRELOAD = ['lib/analysis/run-analysis.ts'];

/**
 * Starts the model process a worker's next group of layer tasks will take
 * (workers call it when they start and after each group), with the statistics
 * threads the group will score on (`threads` as the worker passes them to
 * runLayerGroupSandboxed, capped like the job caps them). Resolves once it has
 * loaded.
 */
export function prestartAnalysisProcess(threads?: number): Promise<void> {
  const limits = taskLimits();
  return startSpareProcess(limits, [MODULE, ...ANALYSIS_PRELOAD], {
    module: MODULE,
    fn: 'prepareLayerGroup',
    args: { threads: Math.min(threads ?? limits.threads, limits.threads) },
  });
}

export interface SandboxedOptions {
  /** Statistics threads (capped by PCACE_MODEL_THREADS). */
  threads?: number;
  /** Polled every 100 ms; true kills the model process. */
  shouldStop?: () => boolean;
  onStart?: (pid: number) => void;
  log?: (line: string) => void;
  /** Use a model process started ahead, and start the next (a worker's tasks follow each other). */
  warm?: boolean;
  /** Run in the process of the previous job with this key when it is still there (a worker passes the analysis id). */
  reuseKey?: string;
}

type AnalysisOptions = SandboxedOptions & { onProgress?: (p: AnalysisProgress) => void; memoryBudgetBytes?: number };

/** An analysis job of sandbox-jobs.ts in a model process; a stop request rejects with AnalysisCancelled once the process is gone. */
async function analysisInProcess<T>(
  fn: string,
  spec: AnalysisSpec,
  opts: AnalysisOptions,
  limits: SandboxLimits,
  onPart?: (v: unknown) => void,
  mayScoreLayer?: (name: string) => Promise<boolean>,
): Promise<T> {
  try {
    return await runSandboxed<T>(
      { module: MODULE, fn, args: { spec, threads: opts.threads, memoryBudgetBytes: opts.memoryBudgetBytes, askBeforeLayer: mayScoreLayer !== undefined } },
      {
        onAsk: mayScoreLayer && ((v) => mayScoreLayer((v as LayerQuestion).mayScoreLayer)),
        limits,
        shouldStop: opts.shouldStop,
        onStart: opts.onStart,
        log: opts.log,
        onProgress: (v) => opts.onProgress?.(v as AnalysisProgress),
        onPart,
        warm: opts.warm,
        preload: ANALYSIS_PRELOAD,
        reuseKey: opts.reuseKey,
      },
    );
  } catch (err) {
    if (err instanceof SandboxStopped) throw new AnalysisCancelled();
    throw err;
  }
}

/** runAnalysis in a model process; a stop request rejects with AnalysisCancelled once the process is gone. */
export function runAnalysisSandboxed(spec: AnalysisSpec, opts: AnalysisOptions): Promise<AnalysisResult> {
  return analysisInProcess<AnalysisResult>('analysisJob', spec, opts, taskLimits());
}

/**
 * The layers of `spec` (a worker's group of layer tasks of one analysis) as one
 * run in a model process: one forward pass for all of them, each layer handed
 * to `onLayer` as soon as it is final, while the next is scored. Before scoring
 * a layer the process asks `mayScoreLayer` (when given) and skips the layer on
 * false (another worker took it). The job's time budget is the task budget per
 * layer. Resolves with the run's timings; a stop request rejects with
 * AnalysisCancelled once the process is gone.
 */
export function runLayerGroupSandboxed(
  spec: AnalysisSpec,
  opts: AnalysisOptions & { onLayer: (layer: LayerResult, run: RunSummary) => void; mayScoreLayer?: (name: string) => Promise<boolean> },
): Promise<AnalysisResult['timings']> {
  const limits = taskLimits();
  const layers = spec.layers === 'all' ? 1 : Math.max(1, spec.layers.length);
  const group: SandboxLimits =
    layers === 1
      ? limits
      : { ...limits, budgetSeconds: limits.budgetSeconds * layers, names: { ...limits.names, job: 'the group of layer tasks', budget: `${limits.names.budget} per layer × ${layers} layers` } };
  return analysisInProcess('layerGroupJob', spec, opts, group, (v) => opts.onLayer((v as LayerPart).layer, (v as LayerPart).run), opts.mayScoreLayer);
}

/** computeArtifact in a model process; a stop request rejects with ArtifactStopped once the process is gone. */
export async function computeArtifactSandboxed(
  spec: AnalysisSpec,
  req: ArtifactRequest,
  opts: ArtifactOptions & Pick<SandboxedOptions, 'onStart' | 'log'> = {},
): Promise<ArtifactOutput> {
  try {
    const out = await runSandboxed<ArtifactOutput>(
      { module: MODULE, fn: 'artifactJob', args: { spec, req, threads: opts.threads } },
      { limits: taskLimits(), shouldStop: opts.shouldStop, onStart: opts.onStart, log: opts.log, onProgress: (v) => opts.onProgress?.(v as number) },
    );
    // Buffers arrive as plain Uint8Arrays.
    return { ...out, files: out.files.map((f) => ({ name: f.name, png: Buffer.from(f.png.buffer, f.png.byteOffset, f.png.byteLength) })) };
  } catch (err) {
    if (err instanceof SandboxStopped) throw new ArtifactStopped();
    throw err;
  }
}

/** The network-wide deletion curves of an analysis whose layers are all stored, in a model process. */
export async function networkCurvesSandboxed(
  spec: AnalysisSpec,
  layers: NetworkCurveLayer[],
  opts: Pick<SandboxedOptions, 'threads' | 'shouldStop' | 'onStart' | 'log'> & { onProgress?: (fraction: number) => void } = {},
): Promise<NetworkCurves> {
  try {
    return await runSandboxed<NetworkCurves>(
      { module: MODULE, fn: 'networkCurvesJob', args: { spec, layers, threads: opts.threads } },
      { limits: taskLimits(), shouldStop: opts.shouldStop, onStart: opts.onStart, log: opts.log, onProgress: (v) => opts.onProgress?.(v as number) },
    );
  } catch (err) {
    if (err instanceof SandboxStopped) throw new AnalysisCancelled();
    throw err;
  }
}
