import { describe, expect, it } from 'vitest';
import { groupScore, maxGroupPredictors } from '../../lib/pcace/group';
import { groupPickProblem, maxGroupMembers } from '../../lib/analysis/importance/groups';
import { groupChannels, groupVariant } from '../../lib/analysis/artifacts/types';
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

  it('scores a tensor of some of the layer’s channels, named by their numbers, as the whole layer', () => {
    // Channels 1 and 3 alone, in that order: what a picked group captures.
    const picked = new Float32Array(300 * 2 * 16);
    for (let i = 0; i < 300; i++) {
      picked.set(input.data.subarray((i * 4 + 1) * 16, (i * 4 + 2) * 16), (i * 2 + 0) * 16);
      picked.set(input.data.subarray((i * 4 + 3) * 16, (i * 4 + 4) * 16), (i * 2 + 1) * 16);
    }
    const sub = { data: picked, n: 300, channels: 2, positions: 16, index: [1, 3] };
    const whole = groupScore(input, [3, 1], y, options);
    const part = groupScore(sub, [3, 1], y, options);
    expect(part).toEqual(whole);
    expect(part.channels).toEqual([3, 1]);
    expect(() => groupScore(sub, [0, 1], y, options)).toThrow(/channel 0 is not among the captured channels 1, 3/);
  });
});

describe('picking a group of a layer’s channels', () => {
  const spec = { components: 5 };
  it('allows 2 to n/5 ÷ components channels of the layer, none twice, and says why not otherwise', () => {
    expect(maxGroupMembers(100, spec)).toBe(4);
    expect(groupPickProblem([3, 17], 64, 100, spec)).toBeNull();
    expect(groupPickProblem([0, 1, 2, 63], 64, 100, spec)).toBeNull();
    expect(groupPickProblem([3], 64, 100, spec)).toMatch(/at least 2 channels/);
    expect(groupPickProblem([0, 1, 2, 3, 4], 64, 100, spec)).toBe('pick at most 4 channels: each channel brings up to 5 components and ACE takes at most 20 predictors (n/5) for the 100 images');
    expect(groupPickProblem([3, 64], 64, 100, spec)).toBe('channel 64 is not in this layer (channels 0–63)');
    expect(groupPickProblem([3, 3], 64, 100, spec)).toBe('channel 3 is picked twice');
    expect(groupPickProblem(['3', 4], 64, 100, spec)).toBe('"3" is not a channel number');
    expect(groupPickProblem([3, 4], 64, 40, spec)).toMatch(/^this analysis' 40 images allow no group/);
    // A non-numeric k counts as 5 components per member.
    expect(maxGroupMembers(100, { components: 'half' })).toBe(4);
    expect(maxGroupMembers(100, { components: 2 })).toBe(10);
  });

  it('names a set by its channels ascending, so one set is one artifact whatever the order', () => {
    expect(groupVariant([17, 3, 42])).toBe('3,17,42');
    expect(groupVariant([42, 17, 3])).toBe(groupVariant([3, 17, 42]));
    expect(groupChannels('3,17,42')).toEqual([3, 17, 42]);
    expect(groupChannels('')).toEqual([]);
  });
});
