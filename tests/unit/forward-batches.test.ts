/**
 * forwardBatches with two output sets (lib/analysis/inputs.ts): the engine runs a batch into
 * one set while what the previous batch started on the other (its spill writes) finishes, and
 * never into a set whose batch is still being written; a failed write fails the pass, after
 * every other write has settled.
 */
import { describe, expect, it } from 'vitest';
import { forwardBatches } from '../../lib/analysis/inputs';
import type { ModelEngine, RunResult } from '../../lib/models/engine';

const shape = [1, 2, 2];

/** An engine that records which output set each run wrote into. */
function recordingEngine(runs: Float32Array[]): ModelEngine {
  return {
    input: { shape, fixedBatchSize: null },
    async run(_batch: Float32Array, _size: number, _layers: readonly string[], into?: ReadonlyMap<string, Float32Array>) {
      const buffer = into!.get('conv')!;
      runs.push(buffer);
      return { output: { data: new Float32Array(1), dims: [1, 1] }, activations: new Map([['conv', { data: buffer, dims: [1, 1, 1, 1] }]]) } as unknown as RunResult;
    },
  } as unknown as ModelEngine;
}

const load = async (_start: number, count: number) => new Float32Array(count * 4);
const sets = () => [new Map([['conv', new Float32Array(4)]]), new Map([['conv', new Float32Array(4)]])];

describe('forward batches into two alternating output sets', () => {
  it('runs into a set only once the writes of its previous batch are done', async () => {
    const runs: Float32Array[] = [];
    // Views of a set's buffer are new objects per batch: the memory behind them is what counts.
    const writing = new Set<ArrayBufferLike>();
    const into = sets();
    await forwardBatches(recordingEngine(runs), load, 6, 1, ['conv'], (out) => {
      const buffer = out.activations.get('conv')!.data.buffer;
      expect(writing.has(buffer)).toBe(false);
      writing.add(buffer);
      return new Promise((resolve) => setTimeout(() => (writing.delete(buffer), resolve()), 5));
    }, undefined, into, false);
    expect(runs).toHaveLength(6);
    expect(runs.map((b) => (b.buffer === into[0].get('conv')!.buffer ? 0 : 1))).toEqual([0, 1, 0, 1, 0, 1]);
    expect(writing.size).toBe(0);
  });

  it('fails with a write error once every other write has settled', async () => {
    const runs: Float32Array[] = [];
    let pending = 0;
    let k = 0;
    const pass = forwardBatches(recordingEngine(runs), load, 4, 1, ['conv'], () => {
      pending++;
      const fail = k++ === 1;
      return new Promise<void>((resolve, reject) => setTimeout(() => (pending--, fail ? reject(new Error('disk full')) : resolve()), 5));
    }, undefined, sets(), false);
    await expect(pass).rejects.toThrow('disk full');
    expect(pending).toBe(0);
  });
});
