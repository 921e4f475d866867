/**
 * Capturing activations in a forward pass (run-analysis.ts): the slices of a
 * pass are kept in one reusable shared buffer, or written to spill files when
 * a layer is bigger than the memory budget (plan.ts).
 */
import { closeSync, openSync, read, rm, write } from 'node:fs';
import path from 'node:path';
import type { ModelEngine } from '../models/engine';
import type { CaptureSlice } from './plan';
import { forwardBatches, type InputBatches } from './inputs';

/**
 * One shared allocation for captured activations: every pass carves its
 * slices out of it (the scoring threads read it in place). It is sized once
 * for the plan's largest pass, since growing it for a later pass left the
 * earlier buffer resident until a garbage collection, several of them at once
 * across VGG-16's passes; its pages become resident only as a pass fills them.
 */
export class CaptureArena {
  private buffer: SharedArrayBuffer | null = null;

  constructor(private readonly bytes: number) {}

  view(offsetFloats: number, lengthFloats: number, totalFloats: number): Float32Array {
    if (totalFloats * 4 > this.bytes) throw new Error(`a pass needs ${totalFloats * 4} bytes of captured activations, more than the plan's ${this.bytes}`);
    this.buffer ??= new SharedArrayBuffer(this.bytes);
    return new Float32Array(this.buffer, offsetFloats * 4, lengthFloats);
  }
}

export interface Captured {
  /** In-memory slices: their data; spilled slices: null until loaded. */
  data: (Float32Array | null)[];
  files: (string | null)[];
  /** Slice s's maps: in memory, or read back from its spill file (which is then deleted). */
  load(s: number): Promise<Float32Array>;
}

/** Runs the network over all images, keeping only the slices' channels (in memory or in files). */
export async function forwardPass(
  engine: ModelEngine,
  inputs: InputBatches,
  slices: CaptureSlice[],
  n: number,
  batchSize: number,
  arena: CaptureArena,
  spillDir: string,
  stop: () => void,
  /** The model output of each batch; without it the pass runs the network only up to its last slice's layer. */
  onOutput?: (out: Float32Array, offset: number, count: number) => void,
): Promise<Captured> {
  const sizes = slices.map((s) => n * (s.end - s.start) * s.layer.mapHeight * s.layer.mapWidth);
  const resident = slices.map((s, i) => (s.spill ? 0 : sizes[i]));
  const residentTotal = resident.reduce((a, b) => a + b, 0);
  const chunkMax = Math.max(0, ...slices.map((s, i) => (s.spill ? sizes[i] : 0)));
  const arenaFloats = Math.max(residentTotal, chunkMax);
  let offset = 0;
  const data = slices.map((s, i) => {
    if (s.spill) return null;
    const v = arena.view(offset, sizes[i], arenaFloats);
    offset += sizes[i];
    return v;
  });
  const files = slices.map((s, i) => (s.spill ? path.join(spillDir, `${s.layer.name.replace(/[^\w.-]/g, '_')}-${s.start}-${i}.f32`) : null));
  const fds = files.map((f) => (f ? openSync(f, 'w') : -1));
  const layersOf = [...new Map(slices.map((s) => [s.layer.name, s.layer])).values()];
  const names = layersOf.map((l) => l.name);
  // The runtime writes each batch's whole layers into the same buffers (see ModelEngine.run). A pass
  // that spills has two sets: the runtime computes the next batch into one while the other is written
  // to disk (writing from the main thread between batches left the runtime's threads idle).
  const runSize = engine.input.fixedBatchSize ?? batchSize;
  const outputSet = () => new Map(layersOf.map((l) => [l.name, new Float32Array(runSize * l.channels * l.mapHeight * l.mapWidth)]));
  const into = slices.some((s) => s.spill) ? [outputSet(), outputSet()] : outputSet();
  try {
    await forwardBatches(engine, (start, count) => inputs.batch(start, count), n, batchSize, names, (out, start, count) => {
      onOutput?.(out.output.data, start, count);
      const writes: Promise<void>[] = [];
      slices.forEach((slice, i) => {
        const t = out.activations.get(slice.layer.name)!;
        const P = slice.layer.mapHeight * slice.layer.mapWidth;
        const C = slice.layer.channels;
        const width = (slice.end - slice.start) * P;
        for (let b = 0; b < count; b++) {
          const src = (b * C + slice.start) * P;
          const part = t.data.subarray(src, src + width);
          if (data[i]) data[i]!.set(part, (start + b) * width);
          // Image by image at its place, so the file holds exactly the chunk's NCHW tensor.
          else writes.push(writeAt(fds[i], new Uint8Array(part.buffer, part.byteOffset, part.byteLength), (start + b) * width * 4));
        }
      });
      return writes.length ? Promise.all(writes).then(() => undefined) : undefined;
    }, stop, into, onOutput !== undefined);
  } finally {
    for (const fd of fds) if (fd >= 0) closeSync(fd);
  }
  return {
    data,
    files,
    async load(s: number) {
      if (data[s]) return data[s]!;
      const view = arena.view(0, sizes[s], arenaFloats);
      const file = files[s]!;
      const fd = openSync(file, 'r');
      try {
        // The scoring threads wait for the whole chunk, and a read of a file just written costs the
        // kernel about 2 CPU-s per GB here (the page cache's first reads): in pieces on the I/O
        // threads, that work runs on every core instead of the main thread's alone.
        const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
        const piece = Math.max(SPILL_READ_PIECE_MIN, Math.ceil(bytes.length / SPILL_READ_PIECES));
        const reads: Promise<void>[] = [];
        for (let at = 0; at < bytes.length; at += piece) reads.push(readAt(fd, bytes.subarray(at, Math.min(bytes.length, at + piece)), at, file));
        await settleAll(reads);
      } finally {
        closeSync(fd);
      }
      // Deleting a GB of page cache takes a fraction of a second; the chunk's scoring need not wait for it.
      rm(file, { force: true }, () => {});
      return view;
    },
  };
}

/** Pieces a spilled chunk is read in, at once (libuv's default pool has 4 threads). */
const SPILL_READ_PIECES = 4;
const SPILL_READ_PIECE_MIN = 1 << 20;

/** Every promise settled; then the first failure, if any, is thrown (no read may still be writing into the arena). */
async function settleAll(all: Promise<void>[]): Promise<void> {
  const failed = (await Promise.allSettled(all)).find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/** Reads all of `bytes` from `position` of the file (on the I/O threads). */
function readAt(fd: number, bytes: Uint8Array, position: number, file: string): Promise<void> {
  return transferAll(bytes.length, (done, cb) => read(fd, bytes, done, bytes.length - done, position + done, cb), `activation spill file ${file} is truncated`);
}

/** Writes all of `bytes` at `position` of the file (on the I/O threads). */
function writeAt(fd: number, bytes: Uint8Array, position: number): Promise<void> {
  return transferAll(bytes.length, (done, cb) => write(fd, bytes, done, bytes.length - done, position + done, cb), 'activation spill file: the disk accepted no more bytes');
}

/**
 * `length` bytes through `step` (one read or write from byte `done` on): a
 * short transfer continues where it stopped, one that moves nothing fails
 * with `stuck`.
 */
function transferAll(length: number, step: (done: number, cb: (err: Error | null, moved: number) => void) => void, stuck: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const next = (done: number) =>
      step(done, (err, moved) => {
        if (err) reject(err);
        else if (moved <= 0) reject(new Error(stuck));
        else if (done + moved < length) next(done + moved);
        else resolve();
      });
    next(0);
  });
}
