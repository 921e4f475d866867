import { describe, expect, it } from 'vitest';
import { seededUniform } from '../../lib/pcace/random';
import { scoreChannels } from '../../lib/analysis/layer-scorer';
import { LayerScoringCancelled, prestartScoringThreads, releaseScoringMemory, scoringThreadsStarted, withKeptScoringThreads } from '../../lib/analysis/scoring-threads';
import type { ChannelTaskResult } from '../../lib/analysis/channel-task';

/** A layer of n images × channels × positions with a few shared factors, noise and a response tied to channel 0. */
function layer(n: number, channels: number, positions: number, seed: number) {
  const r = seededUniform(seed);
  const f = Array.from({ length: 3 }, () => Float64Array.from({ length: n }, () => r() - 0.5));
  const data = new Float32Array(n * channels * positions);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < channels; c++)
      for (let j = 0; j < positions; j++) data[(i * channels + c) * positions + j] = f[c % 3][i] * Math.cos((c + 1) * j * 0.05) + 0.3 * (r() - 0.5);
  const y = Float64Array.from({ length: n }, (_, i) => f[0][i] ** 2 + 0.1 * r());
  return { data, n, channels, positions, y };
}

const options = { components: 3, flavour: 'acepack' as const, rankBy: 'crossfit' as const, crossFitRepeats: 2, bootstrap: 0, stabilityComponents: [], seed: 3 };
const scores = (rs: ChannelTaskResult[]) => rs.map((t) => [t.index, t.score.score_pc1, t.score.score_multiple, t.score.score_crossfit, t.mean_activation]);

describe('statistics threads kept across layers', () => {
  // Layers of different sizes, the biggest first: a thread's scratch and layer must follow each layer.
  const big = layer(60, 5, 400, 1);
  const small = layer(60, 4, 30, 2);

  it('score consecutive layers of a run on the same threads, with the same bits as inline', async () => {
    const before = scoringThreadsStarted();
    // Within a pass the threads keep the big layer's buffer for the small one; at its end they let it go.
    const [bigThreaded, smallThreaded, bigAgain] = await withKeptScoringThreads(async () => [
      await scoreChannels(big, { ...options, threads: 2 }),
      await scoreChannels(small, { ...options, threads: 2 }),
      (releaseScoringMemory(), await scoreChannels(big, { ...options, threads: 2 })),
    ]);
    expect(scoringThreadsStarted() - before).toBe(2);
    expect(scores(bigThreaded)).toEqual(scores(await scoreChannels(big, { ...options, threads: 0 })));
    expect(scores(smallThreaded)).toEqual(scores(await scoreChannels(small, { ...options, threads: 0 })));
    expect(scores(bigAgain)).toEqual(scores(bigThreaded));
  });

  it('start fresh threads after a cancelled layer, whose late answers reach no other layer', async () => {
    const after = await withKeptScoringThreads(async () => {
      let calls = 0;
      await expect(scoreChannels(big, { ...options, threads: 2, shouldStop: () => ++calls > 3 })).rejects.toBeInstanceOf(LayerScoringCancelled);
      const before = scoringThreadsStarted();
      const scored = await scoreChannels(small, { ...options, threads: 2 });
      expect(scoringThreadsStarted() - before).toBe(2);
      return scored;
    });
    expect(scores(after)).toEqual(scores(await scoreChannels(small, { ...options, threads: 0 })));
  });

  it('give a layer scored while the kept threads are busy threads of its own, and each layer outside a run its own', async () => {
    const [a, b] = await withKeptScoringThreads(() =>
      Promise.all([scoreChannels(big, { ...options, threads: 2 }), scoreChannels(small, { ...options, threads: 2 })]),
    );
    expect(scores(a)).toEqual(scores(await scoreChannels(big, { ...options, threads: 0 })));
    expect(scores(b)).toEqual(scores(await scoreChannels(small, { ...options, threads: 0 })));
    const before = scoringThreadsStarted();
    await scoreChannels(small, { ...options, threads: 2 });
    await scoreChannels(small, { ...options, threads: 2 });
    expect(scoringThreadsStarted() - before).toBe(4);
  });

  it('score a run on threads started ahead of it (a model process waiting for its group), with the same bits, and end them with the run', async () => {
    const before = scoringThreadsStarted();
    await prestartScoringThreads(2);
    expect(scoringThreadsStarted() - before).toBe(2);
    const [first, second] = await withKeptScoringThreads(async () => [
      await scoreChannels(big, { ...options, threads: 2 }),
      await scoreChannels(small, { ...options, threads: 2 }),
    ]);
    expect(scoringThreadsStarted() - before).toBe(2);
    expect(scores(first)).toEqual(scores(await scoreChannels(big, { ...options, threads: 0 })));
    expect(scores(second)).toEqual(scores(await scoreChannels(small, { ...options, threads: 0 })));
    // Ended with the run: the next run (or warm-up) starts its own.
    await prestartScoringThreads(1);
    expect(scoringThreadsStarted() - before).toBe(3);
    // A run asking for another count replaces them.
    const other = await withKeptScoringThreads(() => scoreChannels(small, { ...options, threads: 2 }));
    expect(scoringThreadsStarted() - before).toBe(5);
    expect(scores(other)).toEqual(scores(second));
  });
});
