/**
 * The statistics threads, kept from one layer to the next. Starting a thread
 * costs its TypeScript loader, the statistics modules and a GEMM session, about
 * half a CPU-second, and a whole network used to pay that for every thread of
 * every layer. A layer is handed to each thread (the shared activation buffer,
 * the response, the options), then its channels one at a time, the next only
 * after a thread's answer; once the layer is done the threads drop their
 * references to it, so its buffer can be freed or reused. A layer that fails or
 * is cancelled ends the threads (some may still be inside a channel), and the
 * next layer starts fresh ones. Idle threads do not keep a process alive.
 */
import { Worker } from 'node:worker_threads';
import { PcaceInputError } from '../pcace/index';
import type { ChannelTaskOptions, ChannelTaskResult, LayerTensor } from './channel-task';

/**
 * What a thread is told: a layer to hold, a channel of it to score, or to let
 * the layer go, and with it the memory it standardises channels in unless
 * `keepScratch` (the next chunk or layer of the same capture pass reuses it).
 */
export type ThreadMessage =
  | { layer: LayerTensor & { y: Float64Array; options: ChannelTaskOptions } }
  | { channel: number }
  | { release: true; keepScratch?: boolean };

/** A thread's answer for one channel (or, once, that it has loaded). */
export interface ThreadAnswer {
  loaded?: true;
  ok: boolean;
  result?: ChannelTaskResult;
  index?: number;
  message?: string;
  name?: string;
}

export class LayerScoringCancelled extends Error {
  constructor() {
    super('layer scoring cancelled');
  }
}

interface LayerJob {
  tensor: LayerTensor;
  y: Float64Array;
  options: ChannelTaskOptions;
  onChannel?: (done: number, total: number) => void;
  shouldStop?: () => boolean;
}

/** Threads this process has started, for tests and benchmarks. */
let started = 0;
export const scoringThreadsStarted = (): number => started;

class ScoringThreads {
  private readonly workers: Worker[];
  private onAnswer: ((w: Worker, msg: ThreadAnswer) => void) | null = null;
  private onFailure: ((err: Error) => void) | null = null;
  busy = false;
  /** A thread failed or was stopped mid-channel: these threads are not reused. */
  ended = false;
  /** Every thread has loaded its modules (or the pool has ended). */
  readonly loaded: Promise<void>;

  constructor(readonly size: number) {
    const loads: Promise<void>[] = [];
    this.workers = Array.from({ length: size }, () => {
      started++;
      const w = new Worker(new URL('./worker-entry.mjs', import.meta.url));
      let markLoaded = () => {};
      loads.push(new Promise<void>((resolve) => (markLoaded = resolve)));
      w.once('exit', () => markLoaded());
      w.on('message', (msg: ThreadAnswer) => (msg.loaded ? markLoaded() : this.onAnswer?.(w, msg)));
      w.on('error', (err) => this.fail(err));
      w.on('exit', (code) => this.fail(new Error(`scoring worker exited with code ${code}`)));
      w.unref();
      return w;
    });
    this.loaded = Promise.all(loads).then(() => {});
  }

  private fail(err: Error): void {
    this.ended = true;
    this.onFailure?.(err);
  }

  /** The threads let go of the memory they kept from their last layer. */
  releaseMemory(): void {
    if (!this.ended && !this.busy) for (const w of this.workers) w.postMessage({ release: true } satisfies ThreadMessage);
  }

  async end(): Promise<void> {
    this.ended = true;
    this.onFailure = null;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  async score(job: LayerJob): Promise<ChannelTaskResult[]> {
    const { tensor, onChannel, shouldStop } = job;
    const offset = job.options.channelOffset ?? 0;
    const results: ChannelTaskResult[] = new Array(tensor.channels);
    this.busy = true;
    for (const w of this.workers) w.ref();
    try {
      await new Promise<void>((resolve, reject) => {
        let next = 0;
        let done = 0;
        this.onFailure = reject;
        const feed = (w: Worker) => {
          if (shouldStop?.()) return reject(new LayerScoringCancelled());
          if (next < tensor.channels) w.postMessage({ channel: next++ } satisfies ThreadMessage);
        };
        this.onAnswer = (w, msg) => {
          if (!msg.ok) {
            const text = `channel ${msg.index}: ${msg.message}`;
            return reject(msg.name === 'PcaceInputError' ? new PcaceInputError(text) : new Error(text));
          }
          results[msg.result!.index - offset] = msg.result!;
          done++;
          onChannel?.(done, tensor.channels);
          if (done === tensor.channels) resolve();
          else feed(w);
        };
        const layer = { ...tensor, y: job.y, options: job.options };
        for (const w of this.workers) {
          w.postMessage({ layer } satisfies ThreadMessage);
          feed(w);
        }
      });
    } catch (err) {
      // Threads may still be inside a channel of this layer: their answers must not reach the next one.
      await this.end();
      throw err;
    } finally {
      this.onAnswer = null;
      this.onFailure = null;
      // The standardised maps' buffer stays until releaseScoringMemory: fresh for every chunk, VGG-16's
      // 120 MB per thread and 224² chunk cost page faults (about 3 CPU-s per GB on a VM) and zeroing.
      if (!this.ended) for (const w of this.workers) w.postMessage({ release: true, keepScratch: true } satisfies ThreadMessage);
      for (const w of this.workers) w.unref();
      this.busy = false;
    }
    return results;
  }
}

/** The threads kept for the runs in progress (withKeptScoringThreads), reused while their count fits and nobody else is scoring with them. */
let kept: ScoringThreads | null = null;
/** Runs in progress that keep threads; when the last ends, so do the threads. */
let keeping = 0;

/**
 * Runs fn (an analysis: many layers) with its statistics threads kept from
 * layer to layer, and ended when it returns: no thread outlives the runs, so
 * a process ends with none (ONNX Runtime sessions in threads still alive at a
 * process's exit have crashed it).
 */
export async function withKeptScoringThreads<T>(fn: () => Promise<T>): Promise<T> {
  keeping++;
  try {
    return await fn();
  } finally {
    if (--keeping === 0) {
      const k = kept;
      kept = null;
      await k?.end();
    }
  }
}

/**
 * The kept threads let go of the buffers they reuse from chunk to chunk: a
 * run calls it once a capture pass is scored, so they are not held through
 * the next forward pass (the memory plan counts scoring and forward memory as
 * one or the other) nor past the run's last pass.
 */
export function releaseScoringMemory(): void {
  kept?.releaseMemory();
}

/**
 * Starts `threads` statistics threads ahead of the run that will keep them (a
 * model process started ahead of a worker's next group, sandbox-jobs.ts): their
 * start, half a CPU-second each, then comes before the claim instead of inside
 * the group's first layer. They hold no layer and no GEMM session until the run
 * hands them one, and the run ends them as it ends any kept threads; a run
 * that wants another count replaces them. Resolves once they have loaded.
 */
export function prestartScoringThreads(threads: number): Promise<void> {
  if (!kept && threads >= 1) kept = new ScoringThreads(threads);
  return kept?.loaded ?? Promise.resolve();
}

/**
 * Scores every channel of the tensor on `threads` statistics threads, the
 * tensor's buffer shared, not copied: the kept ones when a run keeps them and
 * they are free, else threads of the layer's own.
 */
export async function scoreOnThreads(job: LayerJob, threads: number): Promise<ChannelTaskResult[]> {
  if (kept && (kept.ended || (!kept.busy && kept.size !== threads))) {
    if (!kept.ended) await kept.end();
    kept = null;
  }
  if (keeping > 0 && !kept) kept = new ScoringThreads(threads);
  if (keeping > 0 && kept && !kept.busy) return kept.score(job);
  // No run keeps threads, or another layer is being scored on the kept ones: this layer's own threads.
  const own = new ScoringThreads(threads);
  try {
    return await own.score(job);
  } finally {
    await own.end();
  }
}
