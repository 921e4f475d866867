/**
 * Memory plan of a network-wide analysis. Activations of one layer for n images
 * can exceed the machine (VGG-16 features.0: 64 × 224² × 300 × 4 B = 3.9 GB),
 * so layers are grouped into forward passes whose captured activations fit a
 * budget. A layer too big on its own is captured in one pass anyway, its
 * channel chunks written to temporary files and scored one chunk at a time:
 * rerunning the network per chunk cost VGG-16 (224×224, 300 images) 27 forward
 * passes and 19 minutes; writing and reading 3.9 GB of float32 costs seconds.
 *
 * The capture budget comes from the resident memory the whole analysis may
 * reach (PCACE_MEMORY_MB, 3 GiB by default): what the process already holds
 * (runtime, model, images), less the larger of a forward batch's working
 * memory and the scoring threads' memory, is what captured maps may use.
 */
import type { ConvLayerInfo } from '../models/engine';

/**
 * Captured activations per forward pass for callers that plan without a
 * resident limit (the ablation's split decision and its cost estimate).
 */
export const DEFAULT_MEMORY_BUDGET_BYTES = 768 << 20;

/** Resident memory an analysis plans for when neither the caller nor PCACE_MEMORY_MB sets one (MiB). */
export const DEFAULT_MEMORY_LIMIT_MB = 3072;

/** The resident limit in bytes: PCACE_MEMORY_MB when it is a positive number, else 3 GiB. */
export function memoryLimitBytes(env: Record<string, string | undefined> = process.env): number {
  const mb = Number(env.PCACE_MEMORY_MB);
  return (Number.isFinite(mb) && mb > 0 ? mb : DEFAULT_MEMORY_LIMIT_MB) * 2 ** 20;
}

/**
 * Per scoring thread beyond its standardised maps: a worker thread's own
 * JavaScript heap and loaded modules, and its ONNX Runtime session for the
 * Gram matrices (measured: bench/README.md, "Network scale").
 */
export const THREAD_OVERHEAD_BYTES = 64 << 20;

/**
 * A forward batch's working memory per image, as a multiple of the model's
 * conv outputs per image: ONNX Runtime keeps every graph output of a batch
 * (every conv output is one, so any layer can be fetched) until the run ends,
 * and the activations, pooling and the fetched layers come on top (measured
 * on VGG-16 at batch 4: 643 MiB over what the process held, 3.0 × its 54 MB
 * of conv outputs per image × 4).
 */
export const FORWARD_FACTOR = 3;

/** At most this much of the limit goes to a forward batch's working memory. */
export const FORWARD_SHARE = 0.15;

/**
 * Room left for what no term models: after a forward pass the process stays
 * 300–460 MiB above what it held before (VGG-16 at 224², measured between
 * passes: memory the runtime freed that the C allocator keeps, garbage not
 * yet collected), and that coexists with the captured maps and the scoring.
 */
export const MARGIN_BYTES = 512 << 20;

export interface MemoryFacts {
  /** Resident bytes the analysis may reach. */
  limit: number;
  /** Resident bytes before any activation is captured (process, runtime, model), measured. */
  resident: number;
  /** Bytes still to come for the preprocessed images kept across passes. */
  inputs: number;
  /** Every conv output of one image, in bytes (the model's, not only the analysed layers'). */
  convPerImage: number;
  /** Scoring threads (0 = inline: one channel at a time on the main thread). */
  threads: number;
  /** Largest forward batch the inputs allow (≈ 5 MiB of input). */
  maxBatch: number;
  /** Float32 copies of a channel's maps a thread keeps (bootstrap or stability refits), 0 when off. */
  copiesPerThread: number;
  /** Captured activations per pass, instead of what the limit leaves. */
  captureBytes?: number;
  /** Bytes a forward pass may spill to disk to spare another pass (planPasses); 0 or unset: only layers bigger than the capture budget spill. */
  spillBytes?: number;
  /** Bytes a pass may spill in all, layers bigger than the capture budget included (planPasses' `diskBytes`; default `spillBytes`). */
  spillDiskBytes?: number;
}

export interface MemoryPlan {
  passes: ForwardPass[];
  /** Scoring threads: those asked for, fewer when their memory would not leave one channel's maps (0 = inline). */
  threads: number;
  /** Captured activations in memory at once. */
  captureBytes: number;
  /** Images per forward batch. */
  batchSize: number;
  /** Resident bytes the plan expects at its peak. */
  peakBytes: number;
}

/** Bytes a scoring thread holds for a channel of `positions` map positions over n images. */
export function threadBytes(n: number, positions: number, copies: number): number {
  return THREAD_OVERHEAD_BYTES + n * positions * (8 + 4 * copies);
}

/**
 * Passes, chunks, forward batch and scoring threads for `layers` within
 * `facts.limit`. Threads are dropped before the captured maps go below one
 * channel (fewer threads never change a result: each channel is scored the
 * same way on any thread). The capture budget never falls below one channel
 * of the largest layer, nor the threads below one, nor the batch below one
 * image: under a limit that small the plan's peak says by how much it is exceeded.
 */
export function planMemory(layers: ConvLayerInfo[], n: number, facts: MemoryFacts): MemoryPlan {
  const positions = Math.max(1, ...layers.map((l) => l.mapHeight * l.mapWidth));
  const oneChannel = n * positions * 4;
  const room = facts.limit - facts.resident - facts.inputs - MARGIN_BYTES;
  const perThread = threadBytes(n, positions, facts.copiesPerThread);
  const threads = facts.threads === 0 ? 0 : Math.max(1, Math.min(facts.threads, Math.floor((room - oneChannel) / perThread)));
  const scoring = Math.max(1, threads) * perThread;
  const perImage = FORWARD_FACTOR * facts.convPerImage;
  const batchSize = Math.max(1, Math.min(facts.maxBatch, Math.floor((FORWARD_SHARE * facts.limit) / Math.max(1, perImage))));
  const working = Math.max(batchSize * perImage, scoring);
  const captureBytes = facts.captureBytes ?? Math.max(oneChannel, room - working);
  const passes = planPasses(layers, n, captureBytes, facts.spillBytes ?? 0, facts.spillDiskBytes ?? facts.spillBytes ?? 0);
  const captured = Math.max(0, ...passes.map((p) => p.bytes));
  return { passes, threads, captureBytes, batchSize, peakBytes: facts.resident + facts.inputs + working + captured };
}

export interface CaptureSlice {
  layer: ConvLayerInfo;
  /** Channels [start, end) captured in this pass. */
  start: number;
  end: number;
  /** Written to a temporary file during the pass instead of kept in memory. */
  spill: boolean;
}

export interface ForwardPass {
  /** In-memory slices first, then spilled ones (each loaded in turn where the scored in-memory slices were). */
  slices: CaptureSlice[];
  /** Captured bytes in memory at once: the in-memory slices together, or the largest spilled chunk. */
  bytes: number;
}

/**
 * Groups `layers` (in order) into forward passes whose captured maps in memory
 * stay within `budgetBytes`. A layer bigger than the budget is spilled in
 * channel chunks of at most the budget. Once a pass's memory is full, the
 * layers after it are spilled into the same pass, whole or in chunks, while
 * its spilled bytes stay within `spillBytes`: writing and reading back a
 * layer's maps costs far less than another forward pass (ResNet-18 at 224²,
 * 300 images: 1.3 GB spilled in place of a second pass, bench/README.md).
 * With `spillBytes` 0 only layers bigger than the budget spill, each starting
 * a pass of its own.
 *
 * A layer bigger than the budget spills wherever it is captured, so in a pass
 * of its own it would cost the same writes and reads plus that pass's forward
 * work: it joins the current pass while the pass's spilled bytes stay within
 * `diskBytes` (the disk room; by default `spillBytes`, the rule above). VGG-16
 * at 224² over 300 images: one pass instead of five (bench/README.md).
 * `spillBytes` bounds only the layers that could have been held in memory.
 */
export function planPasses(layers: ConvLayerInfo[], n: number, budgetBytes: number, spillBytes = 0, diskBytes = spillBytes): ForwardPass[] {
  const passes: ForwardPass[] = [];
  let current: ForwardPass = { slices: [], bytes: 0 };
  /** Spilled bytes of the current pass: in all, and of layers that fit the budget. */
  let spilled = 0;
  let spilledFitting = 0;
  const flush = () => {
    if (current.slices.length) passes.push(current);
    current = { slices: [], bytes: 0 };
    spilled = 0;
    spilledFitting = 0;
  };
  const spill = (layer: ConvLayerInfo, perChannel: number) => {
    const perChunk = Math.max(1, Math.min(layer.channels, Math.floor(budgetBytes / perChannel)));
    for (let start = 0; start < layer.channels; start += perChunk) {
      const end = Math.min(layer.channels, start + perChunk);
      current.slices.push({ layer, start, end, spill: true });
      // In memory, only one chunk at a time: the one being scored.
      current.bytes = Math.max(current.bytes, perChannel * (end - start));
    }
    spilled += perChannel * layer.channels;
  };
  for (const layer of layers) {
    const perChannel = n * layer.mapHeight * layer.mapWidth * 4;
    const whole = perChannel * layer.channels;
    // In memory only before the pass spills anything: a spilled chunk is loaded over the slices scored before it.
    if (whole <= budgetBytes && spilled === 0 && current.bytes + whole <= budgetBytes) {
      current.slices.push({ layer, start: 0, end: layer.channels, spill: false });
      current.bytes += whole;
      continue;
    }
    const fits = whole <= budgetBytes;
    const joins = fits ? spilledFitting + whole <= spillBytes && spilled + whole <= diskBytes : spilled + whole <= Math.max(spillBytes, diskBytes);
    if (current.slices.length && joins) {
      if (fits) spilledFitting += whole;
      spill(layer, perChannel);
      continue;
    }
    flush();
    if (whole <= budgetBytes) {
      current.slices.push({ layer, start: 0, end: layer.channels, spill: false });
      current.bytes = whole;
    } else {
      spill(layer, perChannel);
    }
  }
  flush();
  return passes;
}

/**
 * `passes` with the one reaching deepest into the network (by `order`, the
 * model's conv layers in execution order) first. Only the first pass's model
 * output is read (it gives the response), so only that pass runs the whole
 * network; every other one stops at its last layer (ModelEngine.run's
 * `options.output`): VGG-16's early-layer passes then cost a fraction of one
 * (features.0's a single convolution). The order never changes a result: each
 * channel is scored the same way in any pass.
 */
export function deepestPassFirst(passes: ForwardPass[], order: readonly ConvLayerInfo[]): ForwardPass[] {
  const depth = (p: ForwardPass) => Math.max(...p.slices.map((s) => order.findIndex((l) => l.name === s.layer.name)));
  const deepest = passes.reduce((best, p, i) => (depth(p) > depth(passes[best]) ? i : best), 0);
  return [passes[deepest], ...passes.filter((_, i) => i !== deepest)];
}
