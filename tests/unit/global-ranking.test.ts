import { describe, expect, it } from 'vitest';
import { globalRanking } from '../../lib/analysis/global-ranking';
import type { ChannelResult } from '../../lib/analysis/types';

const ch = (index: number, rank: number, score: number, effect?: number): ChannelResult =>
  ({ index, rank, score_pc1: score, score_multiple: score, rsq: 0, components: 5, explained_variance: 1, mean_activation: 0, max_activation: 0, flags: [], ...(effect === undefined ? {} : { effect, effect_ci: [effect - 1, effect + 1] as [number, number] }) }) as ChannelResult;

describe('global ranking across layers', () => {
  it('orders channels of all layers by effect, not by raw score, and names layers without a null', () => {
    // conv2's raw scores are all higher (its input predicts the logit), but conv1's channel 0 stands furthest above its own null.
    const layers = [
      { name: 'conv1', channels: [ch(0, 1, 0.4, 9), ch(1, 2, 0.1, 0.5)] },
      { name: 'conv2', channels: [ch(0, 1, 0.9, 3), ch(1, 2, 0.85, 1)] },
      { name: 'fc', channels: [ch(0, 1, 0.99)] },
    ];
    const g = globalRanking(layers)!;
    expect(g.by).toBe('effect');
    expect(g.channels.map((c) => [c.layer, c.channel, c.rank])).toEqual([
      ['conv1', 0, 1],
      ['conv2', 0, 2],
      ['conv2', 1, 3],
      ['conv1', 1, 4],
    ]);
    expect(g.channels[0].effect_ci).toEqual([8, 10]);
    expect(g.layers_left_out).toEqual(['fc']);
    expect(globalRanking(layers, 2)!.channels).toHaveLength(2);
    expect(globalRanking([{ name: 'fc', channels: [ch(0, 1, 0.99)] }])).toBeNull();
  });
});
