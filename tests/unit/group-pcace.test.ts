import { describe, expect, it } from 'vitest';
import { groupScore, maxGroupPredictors } from '../../lib/pcace/group';
import { scoreChannel } from '../../lib/pcace/score';
import { Rng } from '../../lib/pcace/random';

/**
 * Known truth: the class score is z1 + z2 + noise; channel 0 sees only z1,
 * channel 1 only z2 (each through a smooth spatial profile, plus pixel noise
 * and a nuisance factor), channels 2 and 3 see only nuisance. The pair {0, 1}
 * then predicts the score far better than either alone (population
 * correlations ≈ 0.96 vs ≈ 0.68), a noise pair predicts nothing, and adding a
 * noise channel to channel 0 adds nothing.
 */
function layer(n: number, seed: number) {
  const rng = new Rng(seed);
  const channels = 4;
  const positions = 16;
  const z1 = Float64Array.from({ length: n }, () => rng.normal());
  const z2 = Float64Array.from({ length: n }, () => rng.normal());
  const y = Float64Array.from({ length: n }, (_, i) => z1[i] + z2[i] + 0.3 * rng.normal());
  const data = new Float32Array(n * channels * positions);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < channels; c++) {
      const u = rng.normal();
      const signal = c === 0 ? z1[i] : c === 1 ? z2[i] : 0;
      for (let j = 0; j < positions; j++) {
        const profile = Math.exp(-((j - 5 - c) ** 2) / 8);
        data[(i * channels + c) * positions + j] = 2 * signal * profile + u * Math.cos(j / 3) + 0.3 * rng.normal();
      }
    }
  }
  return { input: { data, n, channels, positions }, y, z1 };
}

const options = { components: 3, flavour: 'acepack' as const, crossFitRepeats: 4, crossFitCap: 8, seed: 3 };

describe('group PCACE on a layer with known joint structure', () => {
  const { input, y } = layer(300, 11);
  const single = (c: number) => groupScore(input, [c], y, options);

  it('a one-channel group is that channel scored alone', () => {
    const maps = new Float32Array(300 * 16);
    for (let i = 0; i < 300; i++) maps.set(input.data.subarray((i * 4 + 0) * 16, (i * 4 + 1) * 16), i * 16);
    const alone = scoreChannel(maps, 300, 16, y, { ...options, crossFitSeed: options.seed });
    const g = single(0);
    expect(g.score_multiple).toBeCloseTo(alone.score_multiple, 10);
    expect(g.score_crossfit).toBeCloseTo(alone.score_crossfit!, 10);
  });

  it('the pair carrying both halves of the score beats either member by far', () => {
    const pair = groupScore(input, [0, 1], y, options);
    const a = single(0).score_crossfit!;
    const b = single(1).score_crossfit!;
    expect(a).toBeGreaterThan(0.5);
    expect(a).toBeLessThan(0.8);
    expect(b).toBeGreaterThan(0.5);
    expect(b).toBeLessThan(0.8);
    expect(pair.score_crossfit!).toBeGreaterThan(0.9);
    expect(pair.score_crossfit!).toBeGreaterThan(Math.max(a, b) + 0.15);
    expect(pair.components).toBe(6);
  });

  it('a noise pair scores ≈ 0 cross-fitted, though its in-sample score does not', () => {
    const noise = groupScore(input, [2, 3], y, options);
    expect(Math.abs(noise.score_crossfit!)).toBeLessThan(0.15);
    expect(noise.score_multiple).toBeGreaterThan(Math.abs(noise.score_crossfit!));
  });

  it('adding a noise channel to a signal channel adds nothing out of sample', () => {
    const withNoise = groupScore(input, [0, 2], y, options).score_crossfit!;
    expect(Math.abs(withNoise - single(0).score_crossfit!)).toBeLessThan(0.05);
  });

  it('refuses empty, repeated, unknown and oversized groups with a reason', () => {
    expect(() => groupScore(input, [], y, options)).toThrow(/at least one channel/);
    expect(() => groupScore(input, [1, 1], y, options)).toThrow(/twice/);
    expect(() => groupScore(input, [4], y, options)).toThrow(/not in 0\.\.3/);
    const small = layer(40, 2);
    expect(maxGroupPredictors(40)).toBe(8);
    expect(() => groupScore(small.input, [0, 1, 2], small.y, options)).toThrow(/9 predictors .* at most 8/);
  });
});
