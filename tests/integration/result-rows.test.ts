/**
 * A layer's channel rows as the queue stores them (one INSERT over a JSON
 * parameter, lib/queue/result-rows.ts): every column of channelToRow, every
 * double to the bit (createMany sent them rounded to 15–16 digits; −0 is 0),
 * nulls where JSON has no number, flags and extra as given.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/db';
import { mnistCnnLab, queueAnalysis } from '../helpers/lab-fixture';
import type { ChannelResult, LayerResult } from '../../lib/analysis/types';
import { db } from '../../lib/db/client';
import { channelToRow, saveLayerResult } from '../../lib/queue/result-rows';

useTestDatabase();

let analysisId = '';

beforeAll(async () => {
  const lab = await mnistCnnLab({ name: 'Rows', email: 'rows@example.org', password: 'rows-password-1' });
  analysisId = await queueAnalysis(lab, { layers: ['conv1'], options: { images: 20 } });
});

/** Doubles that a text round trip could get wrong, and values JSON cannot hold. */
const awkward = [0.1 + 0.2, 5e-324, -1.2345678901234567e-300, 1.7976931348623157e308, 2 / 3, -0, 123456789.12345679, 1e-7, 4.35e-310];

function channel(i: number): ChannelResult {
  const x = (k: number) => awkward[(i + k) % awkward.length];
  const c: ChannelResult = {
    index: i,
    rank: 100 - i,
    score_pc1: i === 3 ? NaN : x(0),
    score_multiple: x(1),
    rsq: x(2),
    components: 1 + (i % 7),
    explained_variance: x(3),
    mean_activation: i === 4 ? Infinity : x(4),
    max_activation: x(5),
    flags: i % 3 === 0 ? [] : ['constant', 'ünïcode "quoted" \\ back'],
  };
  if (i % 2) Object.assign(c, { score_crossfit: x(6), p_value: i === 5 ? -Infinity : x(7), z_score: x(8), rank_p05: 2, rank_p95: 9.5, weight_mean: x(0), reverse: i % 4 === 1 });
  if (i % 5 === 0) Object.assign(c, { ablation_drop: x(1), ablation_accuracy_drop: x(2), baseline_corrected: x(3), baseline_p: x(4) });
  // Statistics without a column of their own go to `extra`, a non-finite one as null.
  if (i % 3 !== 2) Object.assign(c, { null_q95: x(5), p_value_pc1: i === 6 ? NaN : x(6), rank_range_k: [1, i], q_value: x(7) });
  return c;
}

describe('channel rows', () => {
  it('hold the doubles the analysis computed, to the bit, and what JSON cannot hold as channelToRow maps it', async () => {
    const channels = Array.from({ length: 40 }, (_, i) => channel(i));
    const layer: LayerResult = { name: 'conv1', shape: [20, 40, 24, 24], kernel: [5, 5], seconds: 1.5, warnings: [], channels };
    const stored = await saveLayerResult(db, analysisId, 0, layer);
    const rows = await db.channelResult.findMany({ where: { layerResultId: stored }, orderBy: { channel: 'asc' } });
    expect(rows).toHaveLength(channels.length);
    expect(new Set(rows.map((r) => r.id)).size).toBe(channels.length);
    // JSON writes −0 as 0 (so did createMany).
    const plusZero = <T>(v: T): T => JSON.parse(JSON.stringify(v));
    const expected = channels.map((c) => {
      const { extra, ...row } = channelToRow(c, stored);
      return plusZero({ ...row, extra: extra ?? null });
    });
    expect(rows.map(({ id: _id, ...r }) => r)).toEqual(expected);
    expect(rows[1].scorePc1).toBe(5e-324);
    expect(rows[2].scorePc1).toBe(-1.2345678901234567e-300);
    expect(rows[0].scorePc1).toBe(0.1 + 0.2);
    expect(rows[3].scorePc1).toBe(0);
    expect(rows[5].pValue).toBeNull();
    expect(rows[6].extra).toMatchObject({ p_value_pc1: null, rank_range_k: [1, 6] });
    expect(rows[2].extra).toBeNull();
  });

  it('of a layer without channels are none', async () => {
    const id = await saveLayerResult(db, analysisId, 2, { name: 'empty', shape: [20, 0, 1, 1], seconds: 0, warnings: [], channels: [] });
    expect(await db.channelResult.count({ where: { layerResultId: id } })).toBe(0);
  });
});
