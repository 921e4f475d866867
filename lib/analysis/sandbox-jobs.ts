/**
 * What runs inside a model process for a worker (see sandboxed.ts). Modules
 * are imported per job: a process that scores a layer never loads TF.js.
 */
import type { SandboxContext } from '../models/sandbox/protocol';
import type { ArtifactOutput, ArtifactRequest } from './artifacts/compute';
import type { AnalysisProgress, AnalysisResult, AnalysisSpec, LayerResult, RunSummary } from './types';
import type { RunAnalysisOptions } from './run-analysis';
import type { NetworkCurveLayer, NetworkCurves } from './importance/network-curves';

/** Progress messages at most this often: scoring reports every channel. */
const PROGRESS_MS = 200;

function throttled<T>(ctx: SandboxContext): (value: T, force?: boolean) => void {
  let last = 0;
  return (value, force) => {
    const now = Date.now();
    if (!force && now - last < PROGRESS_MS) return;
    last = now;
    ctx.progress(value);
  };
}

type AnalysisJobArgs = { spec: AnalysisSpec; threads?: number; memoryBudgetBytes?: number; askBeforeLayer?: boolean };

/** What a layer group asks its worker before scoring a layer: is it still ours (not taken by another worker)? */
export interface LayerQuestion {
  mayScoreLayer: string;
}

/** runAnalysis as a worker's model process runs it, sending `onLayer` each finished layer. */
async function analysisInProcess(
  args: AnalysisJobArgs,
  ctx: SandboxContext,
  onLayer?: RunAnalysisOptions['onLayer'],
  mayScoreLayer?: RunAnalysisOptions['mayScoreLayer'],
): Promise<AnalysisResult> {
  const { runAnalysis } = await import('./run-analysis');
  const { memoryLimitBytes } = await import('./plan');
  const report = throttled<AnalysisProgress>(ctx);
  return runAnalysis(args.spec, {
    threads: Math.min(args.threads ?? ctx.threads, ctx.threads),
    modelThreads: ctx.threads,
    // The plan's limit (PCACE_MEMORY_MB), never above the cap the process is killed at.
    memoryLimitBytes: Math.min(memoryLimitBytes(), ctx.memoryMb * 2 ** 20),
    memoryBudgetBytes: args.memoryBudgetBytes,
    // The process's own folder (process.ts): removed by the parent however the process ends.
    spillDir: process.cwd(),
    // The network-wide curves are a task of their own once every layer of the analysis is stored (networkCurvesJob).
    networkCurves: false,
    onProgress: (p) => report(p, p.phase === 'done' || p.phase === 'loading'),
    onLayer,
    mayScoreLayer,
  });
}

/**
 * The warm-up of a model process started ahead of a worker's next group
 * (sandboxed.ts prestartAnalysisProcess): its statistics threads, started
 * while the worker waits for work.
 */
export async function prepareLayerGroup(args: { threads: number }): Promise<void> {
  const { prestartScoringThreads } = await import('./scoring-threads');
  // Loaded before the process says it is: loading beside the group's first layer would take its CPU.
  await prestartScoringThreads(args.threads);
}

export function analysisJob(args: AnalysisJobArgs, ctx: SandboxContext): Promise<AnalysisResult> {
  return analysisInProcess(args, ctx);
}

/** A finished layer of a layer group, as the child sends it ahead (ctx.part). */
export interface LayerPart {
  layer: LayerResult;
  run: RunSummary;
}

/**
 * A worker's group of layer tasks of one analysis as one run (one forward pass
 * for all its layers, as `pcace rank` runs them): each layer is sent as soon as
 * it is final, and the value at the end holds only the timings.
 */
export async function layerGroupJob(args: AnalysisJobArgs, ctx: SandboxContext): Promise<AnalysisResult['timings']> {
  // Skipped only on an explicit no: an unanswered question (null) scores the layer.
  const ask = args.askBeforeLayer ? async (name: string) => (await ctx.ask({ mayScoreLayer: name } satisfies LayerQuestion)) !== false : undefined;
  const result = await analysisInProcess(args, ctx, (layer, run) => ctx.part({ layer, run } satisfies LayerPart), ask);
  if (args.askBeforeLayer) {
    // The worker keeps this process for its next group of the same analysis: layers it may take from
    // another worker (lib/queue/work-taking.ts) then find their statistics threads started, as a
    // process started ahead has them (prepareLayerGroup), instead of paying for them before their first layer.
    const { prestartScoringThreads } = await import('./scoring-threads');
    void prestartScoringThreads(Math.min(args.threads ?? ctx.threads, ctx.threads));
  }
  return result.timings;
}

export async function artifactJob(args: { spec: AnalysisSpec; req: ArtifactRequest; threads?: number }, ctx: SandboxContext): Promise<ArtifactOutput> {
  const { computeArtifact } = await import('./artifacts/compute');
  const report = throttled<number>(ctx);
  return computeArtifact(args.spec, args.req, { threads: Math.min(args.threads ?? ctx.threads, ctx.threads), onProgress: (f) => report(f) });
}

export async function networkCurvesJob(args: { spec: AnalysisSpec; layers: NetworkCurveLayer[]; threads?: number }, ctx: SandboxContext): Promise<NetworkCurves> {
  const { networkCurvesForSpec } = await import('./importance/network-curves');
  const report = throttled<number>(ctx);
  return networkCurvesForSpec(args.spec, args.layers, { threads: Math.min(args.threads ?? ctx.threads, ctx.threads), onFraction: (f) => report(f) });
}
