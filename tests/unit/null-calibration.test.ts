/**
 * Fast version of bench/null-calibration.ts: on synthetic pure-noise layers
 * (response independent of the maps) the verdict p-values must not be
 * anti-conservative and beats_noise must stay rare, over 20 seeds as in the
 * benchmark's criterion. Small layers and a low repeat cap keep it fast; the
 * full check (default cap, real layers with random targets) runs in the benchmark.
 */
import { describe, expect, it } from 'vitest';
import { scoreLayer } from '../../lib/analysis/layer-scorer';
import { syntheticLayer } from '../fixtures/synthetic-layer';

const opts = (seed: number, B: number) => ({
  components: 3,
  flavour: 'acepack' as const,
  rankBy: 'crossfit' as const,
  crossFitRepeats: 2,
  crossFitCap: 3,
  bootstrap: 0,
  stabilityComponents: [],
  seed,
  threads: 0,
  nullDraws: { B, layerChannels: 8, perChannel: false },
  verdict: { alpha: 0.05, pi0: false },
});

describe('null calibration (synthetic pure-noise layers)', () => {
  it('keeps p-values uniform-or-larger and flags almost nothing', async () => {
    const p: number[] = [];
    let flagged = 0;
    let layersFlagged = 0;
    const layers = 20;
    for (let s = 1; s <= layers; s++) {
      const L = syntheticLayer({ n: 100, channels: 8, height: 4, width: 4, seed: 500 + s, strength: () => 0 });
      // B = 20: what the default 'auto' gives a layer of 8 channels (max(20, ⌈m/4⌉)).
      const res = await scoreLayer({ data: L.data, n: 100, channels: 8, positions: 16, y: L.y }, opts(s, 20));
      const v = res.verdicts!;
      expect(v.rule.null).toEqual({ kind: 'permutation', B: 20, pooled: true, tail: 'empirical+normal-t' });
      p.push(...v.p);
      const f = v.beats.filter(Boolean).length;
      flagged += f;
      if (f) layersFlagged++;
    }
    const frac = (a: number) => p.filter((x) => x <= a).length / p.length;
    // 160 p-values: under uniformity P(≤ 0.05) has sd 0.017, P(≤ 0.1) sd 0.024, P(≤ 0.2) sd 0.032; bounds at ≥ +2 sd.
    // A null whose spread is 40 % too narrow (anti-conservative) gives ≈ 0.29 at 0.2 and fails.
    expect(frac(0.05)).toBeLessThanOrEqual(0.1);
    expect(frac(0.1)).toBeLessThanOrEqual(0.16);
    expect(frac(0.2)).toBeLessThanOrEqual(0.28);
    expect(flagged / p.length).toBeLessThanOrEqual(0.05);
    // The benchmark's layer criterion (≤ 10 % of layers with any flagged channel) over its 20 seeds.
    console.log(`pure-noise layers: ${flagged} of ${p.length} channels flagged, ${layersFlagged} of ${layers} layers with any`);
    expect(layersFlagged).toBeLessThanOrEqual(2);
  }, 120_000);

  it('still finds strong signal', async () => {
    const L = syntheticLayer({ n: 100, channels: 8, height: 4, width: 4, seed: 9, strength: (c) => (c < 4 ? 0 : 1) });
    const res = await scoreLayer({ data: L.data, n: 100, channels: 8, positions: 16, y: L.y }, opts(1, 10));
    const beats = res.verdicts!.beats;
    expect(beats.slice(4).filter(Boolean).length).toBeGreaterThanOrEqual(3);
    expect(beats.slice(0, 4).filter(Boolean).length).toBe(0);
  }, 30_000);

  it('is identical whether channels are scored inline or on threads', async () => {
    const L = syntheticLayer({ n: 60, channels: 4, height: 3, width: 3, seed: 3 });
    const input = { data: L.data, n: 60, channels: 4, positions: 9, y: L.y };
    const o = { ...opts(2, 6), nullDraws: { B: 6, layerChannels: 4, perChannel: false } };
    const a = await scoreLayer(input, { ...o, threads: 0 });
    const b = await scoreLayer(input, { ...o, threads: 2 });
    expect(Array.from(b.verdicts!.p)).toEqual(Array.from(a.verdicts!.p));
    expect(b.channels.map((c) => c.score.score_crossfit)).toEqual(a.channels.map((c) => c.score.score_crossfit));
  }, 30_000);

  it('computes a per-channel null on request', async () => {
    const L = syntheticLayer({ n: 60, channels: 3, height: 3, width: 3, seed: 4 });
    const input = { data: L.data, n: 60, channels: 3, positions: 9, y: L.y };
    const res = await scoreLayer(input, { ...opts(1, 5), nullDraws: { B: 5, layerChannels: 3, perChannel: true } });
    for (const c of res.channels) expect(Array.from(c.nullDraws!.draw)).toEqual([0, 1, 2, 3, 4]);
    expect(res.verdicts!.rule.null).toMatchObject({ B: 5, pooled: false });
    expect(res.verdicts!.rule.text).toContain('a per-channel permutation null');
  }, 30_000);
});
