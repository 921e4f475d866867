import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelPca, channelPcaOf, gramMatrix, gramNeeded, standardiseMaps } from '../../lib/pcace/pca';
import { seededUniform } from '../../lib/pcace/random';
import { createGramSession, type GramSession } from '../../lib/models/gram-kernel';
import { scoreChannels } from '../../lib/analysis/layer-scorer';

/** Maps with a few smooth factors, a constant position and noise: n images × positions. */
function maps(n: number, positions: number, seed: number): Float32Array {
  const r = seededUniform(seed);
  const factors = Array.from({ length: 4 }, () => Float64Array.from({ length: n }, () => r() - 0.5));
  const out = new Float32Array(n * positions);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < positions; j++) {
      let v = 0.2 * (r() - 0.5);
      for (let f = 0; f < 4; f++) v += factors[f][i] * Math.cos((f + 1) * j * 0.01);
      out[i * positions + j] = j === 7 ? 1.5 : v;
    }
  }
  return out;
}

/** The column-by-column standardisation standardiseMaps replaced, as the reference for its bits. */
function standardiseByColumn(m: Float32Array, n: number, positions: number): Float64Array {
  const cols: number[][] = [];
  for (let j = 0; j < positions; j++) {
    let s = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = m[i * positions + j];
      s += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (min === max) continue;
    const mean = s / n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (m[i * positions + j] - mean) ** 2;
    const sd = Math.sqrt(ss / n);
    if (!(sd > Math.abs(mean) * n * Number.EPSILON)) continue;
    cols.push(Array.from({ length: n }, (_, i) => (m[i * positions + j] - mean) / sd));
  }
  const x = new Float64Array(n * cols.length);
  cols.forEach((col, c) => col.forEach((v, i) => (x[i * cols.length + c] = v)));
  return x;
}

describe('Gram matrices through ONNX Runtime', () => {
  let session: GramSession;
  beforeAll(async () => {
    session = await createGramSession();
  });
  afterAll(() => session.release());

  it('standardises row by row with the same bits as column by column', () => {
    const m = maps(40, 300, 1);
    const std = standardiseMaps(m, 40, 300);
    expect(std.p).toBe(299); // position 7 is constant
    expect(Array.from(std.x)).toEqual(Array.from(standardiseByColumn(m, 40, 300)));
  });

  it("standardises into a thread's reused buffer with the bits of a fresh one", () => {
    const into = new Float64Array(40 * 300).fill(Number.NaN);
    const a = standardiseMaps(maps(40, 300, 1), 40, 300, undefined, into);
    expect(a.x.buffer).toBe(into.buffer);
    expect(Array.from(a.x)).toEqual(Array.from(standardiseMaps(maps(40, 300, 1), 40, 300).x));
    // A second channel overwrites the first in the same memory; too small a buffer is not used.
    const b = standardiseMaps(maps(40, 300, 6), 40, 300, undefined, into);
    expect(b.x.buffer).toBe(into.buffer);
    expect(Array.from(b.x)).toEqual(Array.from(standardiseMaps(maps(40, 300, 6), 40, 300).x));
    expect(standardiseMaps(maps(40, 300, 1), 40, 300, undefined, new Float64Array(10)).x.length).toBe(40 * 299);
  });

  it('reads a channel in place from an NCHW tensor with the bits of a copy', () => {
    const n = 30;
    const positions = 50;
    const channels = 3;
    const data = new Float32Array(n * channels * positions);
    const m = maps(n, positions, 5);
    for (let i = 0; i < n; i++) data.set(m.subarray(i * positions, (i + 1) * positions), (i * channels + 1) * positions);
    const inPlace = standardiseMaps(data, n, positions, { offset: positions, rowStride: channels * positions });
    expect(Array.from(inPlace.x)).toEqual(Array.from(standardiseMaps(m, n, positions).x));
    data[(4 * channels + 1) * positions + 9] = Number.NaN;
    expect(() => standardiseMaps(data, n, positions, { offset: positions, rowStride: channels * positions })).toThrow(
      `non-finite value (NaN) at index ${(4 * channels + 1) * positions + 9}`,
    );
    expect(() => standardiseMaps(data, n, positions, { offset: 2 * positions, rowStride: channels * positions + 1 })).toThrow(/expected 30 images/);
  });

  it('equals the loop product to rounding, exactly symmetric', async () => {
    const n = 60;
    const std = standardiseMaps(maps(n, 500, 2), n, 500);
    expect(gramNeeded(std)).toBe(true);
    const g = await session.gram(std.x, n, std.p);
    const ref = gramMatrix(std.x, n, std.p);
    let worst = 0;
    for (let i = 0; i < n * n; i++) worst = Math.max(worst, Math.abs(g[i] - ref[i]) / (Math.abs(ref[i]) + std.p));
    expect(worst).toBeLessThan(1e-14);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(g[i * n + j]).toBe(g[j * n + i]);
  });

  it('gives the PCA of the loop product: eigenvalues and scores to 1e-10', async () => {
    const n = 80;
    const positions = 400;
    const m = maps(n, positions, 3);
    const std = standardiseMaps(m, n, positions);
    const ours = channelPcaOf(std, positions, 6, await session.gram(std.x, n, std.p));
    const ref = channelPca(m, n, positions, 6);
    expect(ours.scores.length).toBe(6);
    for (let c = 0; c < 6; c++) {
      expect(ours.explainedVarianceRatio[c]).toBeCloseTo(ref.explainedVarianceRatio[c], 12);
      const scale = Math.max(...ref.scores[c].map(Math.abs));
      for (let i = 0; i < n; i++) expect(Math.abs(ours.scores[c][i] - ref.scores[c][i]) / scale).toBeLessThan(1e-10);
    }
  });

  it('refuses a Gram matrix of the wrong size', () => {
    const std = standardiseMaps(maps(20, 100, 4), 20, 100);
    expect(() => channelPcaOf(std, 100, 3, new Float64Array(19 * 19))).toThrow(/Gram matrix/);
  });

  it('scores a layer with the same bits inline and in scoring threads', async () => {
    const n = 40;
    const positions = 120;
    const channels = 3;
    const data = new Float32Array(n * channels * positions);
    for (let c = 0; c < channels; c++) {
      const m = maps(n, positions, 10 + c);
      for (let i = 0; i < n; i++) data.set(m.subarray(i * positions, (i + 1) * positions), (i * channels + c) * positions);
    }
    const r = seededUniform(9);
    const y = Float64Array.from({ length: n }, () => r());
    const options = { components: 3, flavour: 'acepack' as const, rankBy: 'pc1' as const, bootstrap: 0, stabilityComponents: [], seed: 1 };
    const inline = await scoreChannels({ data, n, channels, positions, y }, { ...options, threads: 0 });
    const threaded = await scoreChannels({ data, n, channels, positions, y }, { ...options, threads: 2 });
    expect(threaded.map((t) => t.score.score_pc1)).toEqual(inline.map((t) => t.score.score_pc1));
    expect(inline.every((t) => t.score.score_pc1 > 0)).toBe(true);
  });
});
