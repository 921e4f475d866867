/**
 * The memory plan of a network-wide analysis (lib/analysis/plan.ts) on the
 * conv layers of torchvision's VGG-16 at 224×224 and 300 images, whose first
 * layer alone has 3.9 GB of maps: within the resident limit, the plan's terms
 * (what the process holds, the captured maps, a forward batch, the scoring
 * threads) add up below the limit, recomputed here from the layer shapes.
 */
import { describe, expect, it } from 'vitest';
import type { ConvLayerInfo } from '../../lib/models/engine';
import {
  deepestPassFirst,
  DEFAULT_MEMORY_LIMIT_MB,
  FORWARD_FACTOR,
  MARGIN_BYTES,
  THREAD_OVERHEAD_BYTES,
  memoryLimitBytes,
  planMemory,
  planPasses,
  type MemoryFacts,
} from '../../lib/analysis/plan';

/** VGG's 3×3 convolutions, padded to keep their map size. */
type Geometry = Omit<ConvLayerInfo, 'name' | 'outputName' | 'channels' | 'mapHeight' | 'mapWidth'>;
const CONV3: Geometry = { kernelSize: [3, 3], stride: [1, 1], dilation: [1, 1], padding: [1, 1, 1, 1], groups: 1, weightMean: null };
const layer = (name: string, channels: number, side: number): ConvLayerInfo => ({ name, outputName: `${name}_out`, channels, mapHeight: side, mapWidth: side, ...CONV3 });

const VGG16 = [
  layer('features.0', 64, 224), layer('features.2', 64, 224),
  layer('features.5', 128, 112), layer('features.7', 128, 112),
  layer('features.10', 256, 56), layer('features.12', 256, 56), layer('features.14', 256, 56),
  layer('features.17', 512, 28), layer('features.19', 512, 28), layer('features.21', 512, 28),
  layer('features.24', 512, 14), layer('features.26', 512, 14), layer('features.28', 512, 14),
];
const N = 300;
const MiB = 2 ** 20;
const convPerImage = VGG16.reduce((s, l) => s + 4 * l.channels * l.mapHeight * l.mapWidth, 0);
const mapBytes = (l: ConvLayerInfo) => N * l.mapHeight * l.mapWidth * 4;

const facts = (over: Partial<MemoryFacts> = {}): MemoryFacts => ({
  limit: 3072 * MiB,
  // The CLI's resident size once VGG-16 and the MNIST sample are loaded (bench/README.md, "Network scale").
  resident: 900 * MiB,
  inputs: N * 3 * 224 * 224 * 4,
  convPerImage,
  threads: 2,
  maxBatch: 8,
  copiesPerThread: 0,
  ...over,
});

/**
 * The peak the plan implies, summed here term by term from the layers rather
 * than taken from the plan, with the margin for what stays resident after a
 * forward pass (measured on VGG-16: bench/README.md).
 */
function impliedPeak(f: MemoryFacts, plan: ReturnType<typeof planMemory>): number {
  let captured = 0;
  for (const pass of plan.passes) {
    // Unspilled slices sit in memory together; a spilled layer one chunk at a time.
    const inMemory = pass.slices.filter((s) => !s.spill).reduce((s, x) => s + (x.end - x.start) * mapBytes(x.layer), 0);
    const chunk = Math.max(0, ...pass.slices.filter((s) => s.spill).map((x) => (x.end - x.start) * mapBytes(x.layer)));
    captured = Math.max(captured, inMemory, chunk);
  }
  const positions = Math.max(...VGG16.map((l) => l.mapHeight * l.mapWidth));
  const scoring = Math.max(1, plan.threads) * (THREAD_OVERHEAD_BYTES + N * positions * (8 + 4 * f.copiesPerThread));
  const forward = plan.batchSize * FORWARD_FACTOR * f.convPerImage;
  return f.resident + f.inputs + captured + Math.max(forward, scoring) + MARGIN_BYTES;
}

describe('memory plan of VGG-16 at 224² over 300 images', () => {
  it('keeps the whole analysis within the default 3 GiB, spilling features.0 in chunks', () => {
    const f = facts();
    const plan = planMemory(VGG16, N, f);
    expect(impliedPeak(f, plan)).toBeLessThanOrEqual(f.limit);
    expect(plan.peakBytes + MARGIN_BYTES).toBeLessThanOrEqual(f.limit);
    const first = plan.passes[0];
    expect(first.slices.every((s) => s.layer.name === 'features.0' && s.spill)).toBe(true);
    // Every channel once, in order, and never the whole 3.9 GB layer in memory.
    first.slices.forEach((s, i) => expect(s.start).toBe(i === 0 ? 0 : first.slices[i - 1].end));
    expect(first.slices.at(-1)!.end).toBe(64);
    expect(Math.max(...first.slices.map((s) => s.end - s.start)) * mapBytes(VGG16[0])).toBeLessThanOrEqual(plan.captureBytes);
    expect(plan.passes.flatMap((p) => p.slices).reduce((s, x) => s + x.end - x.start, 0)).toBe(VGG16.reduce((s, l) => s + l.channels, 0));
  });

  it('stays within any limit that holds the process, one channel and a one-image batch', () => {
    for (const limitMb of [2048, 3072, 4096, 6144, 12288]) {
      for (const threads of [0, 1, 2, 4, 8]) {
        for (const copiesPerThread of [0, 1]) {
          const f = facts({ limit: limitMb * MiB, threads, copiesPerThread });
          const plan = planMemory(VGG16, N, f);
          expect(impliedPeak(f, plan), `${limitMb} MB, ${threads} threads`).toBeLessThanOrEqual(f.limit);
          expect(plan.passes.every((p) => p.bytes <= plan.captureBytes)).toBe(true);
          expect(plan.threads).toBeLessThanOrEqual(threads);
          if (threads > 0) expect(plan.threads).toBeGreaterThanOrEqual(1);
        }
      }
    }
  });

  it('drops scoring threads before the captured maps fall below one channel', () => {
    const plan = planMemory(VGG16, N, facts({ limit: 2048 * MiB, threads: 8 }));
    expect(plan.threads).toBeGreaterThanOrEqual(1);
    expect(plan.threads).toBeLessThan(8);
    expect(planMemory(VGG16, N, facts({ limit: 12288 * MiB, threads: 8 })).threads).toBe(8);
  });

  it('gives more memory fewer, larger passes', () => {
    const small = planMemory(VGG16, N, facts());
    const large = planMemory(VGG16, N, facts({ limit: 12288 * MiB }));
    expect(large.captureBytes).toBeGreaterThan(small.captureBytes);
    expect(large.passes.length).toBeLessThan(small.passes.length);
  });

  it('under a limit below what the process holds, scores one channel at a time from one-image batches', () => {
    const plan = planMemory(VGG16, N, facts({ limit: 1 * MiB }));
    expect(plan.batchSize).toBe(1);
    expect(plan.threads).toBe(1);
    expect(plan.passes[0].slices.map((s) => s.end - s.start)).toEqual(Array(64).fill(1));
    expect(plan.peakBytes).toBeGreaterThan(1 * MiB);
    expect(impliedPeak(facts({ limit: 1 * MiB }), plan)).toBeGreaterThan(1 * MiB);
  });

  it('takes an explicit capture budget over the limit', () => {
    const plan = planMemory(VGG16, N, facts({ captureBytes: 2 * mapBytes(VGG16[0]) }));
    expect(plan.passes[0].slices.map((s) => s.end - s.start)).toEqual(Array(32).fill(2));
  });
});

describe('memory limit setting', () => {
  it('is PCACE_MEMORY_MB when it is a positive number, else 3 GiB', () => {
    expect(memoryLimitBytes({})).toBe(DEFAULT_MEMORY_LIMIT_MB * MiB);
    expect(DEFAULT_MEMORY_LIMIT_MB).toBe(3072);
    expect(memoryLimitBytes({ PCACE_MEMORY_MB: '4096' })).toBe(4096 * MiB);
    expect(memoryLimitBytes({ PCACE_MEMORY_MB: 'lots' })).toBe(3072 * MiB);
    expect(memoryLimitBytes({ PCACE_MEMORY_MB: '-1' })).toBe(3072 * MiB);
  });
});

describe('passes that spill to spare a forward pass', () => {
  const budget = 1152 * 10 ** 6;
  const names = (p: { slices: { layer: ConvLayerInfo; start: number; end: number; spill: boolean }[] }) =>
    [...new Set(p.slices.map((s) => `${s.layer.name}${s.spill ? ' spilled' : ''}`))];

  it('without spill room, spills only layers over the budget, each in a pass of its own', () => {
    const passes = planPasses(VGG16, N, budget);
    expect(passes.map(names)).toEqual([
      ['features.0 spilled'], ['features.2 spilled'], ['features.5 spilled'], ['features.7 spilled'],
      ['features.10'], ['features.12'], ['features.14'], ['features.17', 'features.19'],
      ['features.21', 'features.24', 'features.26', 'features.28'],
    ]);
  });

  it('spills the layers after a full pass into it while the spill room lasts, in-memory slices first', () => {
    const passes = planPasses(VGG16, N, budget, 3072 * MiB);
    expect(passes.map(names)).toEqual([
      ['features.0 spilled'], ['features.2 spilled'], ['features.5 spilled'],
      ['features.7 spilled', 'features.10 spilled'],
      ['features.12', 'features.14 spilled', 'features.17 spilled', 'features.19 spilled', 'features.21 spilled', 'features.24 spilled', 'features.26 spilled', 'features.28 spilled'],
    ]);
    for (const pass of passes) {
      const firstSpill = pass.slices.findIndex((s) => s.spill);
      if (firstSpill >= 0) expect(pass.slices.slice(firstSpill).every((s) => s.spill)).toBe(true);
      const spilled = pass.slices.filter((s) => s.spill).reduce((a, s) => a + (s.end - s.start) * mapBytes(s.layer), 0);
      // Over the room only a layer that opens its pass (it must spill anyway).
      if (pass.slices[0].spill && spilled > 3072 * MiB) expect(new Set(pass.slices.map((s) => s.layer)).size).toBe(1);
      else expect(spilled).toBeLessThanOrEqual(3072 * MiB);
      // In memory at once: the kept slices together, or one spilled chunk.
      for (const s of pass.slices) expect((s.end - s.start) * mapBytes(s.layer)).toBeLessThanOrEqual(budget);
      expect(pass.bytes).toBeLessThanOrEqual(budget);
    }
  });

  it('runs the pass reaching deepest first (only it needs the whole network), the others in their order', () => {
    const passes = planPasses(VGG16, N, budget, 3072 * MiB);
    const first = (p: { slices: { layer: ConvLayerInfo }[] }) => p.slices[0].layer.name;
    expect(deepestPassFirst(passes, VGG16).map(first)).toEqual(['features.12', 'features.0', 'features.2', 'features.5', 'features.7']);
    // Layers asked for out of network order: depth is the model's order, not the request's.
    const reversed = planPasses([...VGG16].reverse(), N, budget);
    expect(first(deepestPassFirst(reversed, VGG16)[0])).toBe('features.28');
    expect(deepestPassFirst(reversed, VGG16)).toHaveLength(reversed.length);
  });

  it('takes layers bigger than the budget into the pass while the disk room lasts: they spill in any pass', () => {
    const onePass = planPasses(VGG16, N, budget, 20 * 1024 * MiB, 64 * 1024 * MiB);
    expect(onePass.map(names)).toEqual([VGG16.map((l) => `${l.name} spilled`)]);
    // Layers that fit the budget still spill only within the spill room, counted apart from the big ones.
    const room = 3072 * MiB;
    const two = planPasses(VGG16, N, budget, room, 64 * 1024 * MiB);
    expect(two.map(names)).toEqual([
      ['features.0 spilled', 'features.2 spilled', 'features.5 spilled', 'features.7 spilled', 'features.10 spilled', 'features.12 spilled', 'features.14 spilled'],
      ['features.17', 'features.19', 'features.21 spilled', 'features.24 spilled', 'features.26 spilled', 'features.28 spilled'],
    ]);
    const fitting = two[0].slices.filter((s) => mapBytes(s.layer) * s.layer.channels <= budget);
    expect(fitting.reduce((a, s) => a + (s.end - s.start) * mapBytes(s.layer), 0)).toBeLessThanOrEqual(room);
    // With less disk, a pass ends where its spilled bytes would pass the disk room.
    const disk = 8 * 1024 * MiB;
    const passes = planPasses(VGG16, N, budget, room, disk);
    expect(passes.length).toBeGreaterThan(1);
    expect(passes.map(names)[0]).toEqual(['features.0 spilled', 'features.2 spilled']);
    for (const pass of passes) {
      const spilled = pass.slices.filter((s) => s.spill).reduce((a, s) => a + (s.end - s.start) * mapBytes(s.layer), 0);
      if (pass.slices.length > 1 && pass.slices.every((s) => s.layer === pass.slices[0].layer) === false) expect(spilled).toBeLessThanOrEqual(disk);
    }
    // The default disk room is the spill room: the plan of the test above.
    expect(planPasses(VGG16, N, budget, room)).toEqual(planPasses(VGG16, N, budget, room, room));
  });

  it('captures every layer in one pass when the room holds all that does not fit', () => {
    const passes = planPasses(VGG16, N, budget, 64 * 1024 * MiB);
    expect(passes).toHaveLength(1);
    expect(passes[0].slices.filter((s) => s.layer.name === 'features.0').map((s) => s.end - s.start)).toEqual([19, 19, 19, 7]);
    expect(passes[0].bytes).toBe(19 * mapBytes(VGG16[0]));
  });
});
