/** The ranked table's "unstable" flag: a rank set or a rank across k spanning a quarter of the layer or more. */
import { describe, expect, it } from 'vitest';
import { rankInstability } from '../../app/_components/analysis/measures';

describe('rankInstability', () => {
  it('flags ranks that move a quarter of the layer or more, saying how far', () => {
    expect(rankInstability({ rank_range_k: 55 }, 64)).toBe('unstable rank: its rank moves 55 places across k (of 64 channels)');
    expect(rankInstability({ rank_ci: [3, 30] }, 64)).toBe('unstable rank: its 95 % rank set spans 27 places (of 64 channels)');
    expect(rankInstability({ rank_ci: [1, 17], rank_range_k: 16 }, 64)).toBe('unstable rank: its rank moves 16 places across k and its 95 % rank set spans 16 places (of 64 channels)');
  });

  it('leaves steady ranks and channels without rank statistics alone', () => {
    expect(rankInstability({ rank_range_k: 15, rank_ci: [1, 15] }, 64)).toBeNull();
    expect(rankInstability({}, 64)).toBeNull();
    // Small layers: a move of 2 among 8 channels is not flagged (at least 3 places).
    expect(rankInstability({ rank_range_k: 2 }, 8)).toBeNull();
  });
});
