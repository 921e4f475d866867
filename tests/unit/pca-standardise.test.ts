/**
 * standardiseMaps against the plain column-by-column definition it replaces:
 * every kept position, every standardised value and the channel's sum and
 * maximum must be the same bits, constant and nearly constant positions
 * included (the float32 path finds constant positions by their zero spread
 * alone, the float64 path by comparing values).
 */
import { describe, expect, it } from 'vitest';
import { standardiseMaps } from '../../lib/pcace/pca';
import { Rng } from '../../lib/pcace/random';

/** The definition: per position, mean and population sd over images in order; positions equal in every image, or with a spread below rounding, dropped. */
function reference(maps: ArrayLike<number>, n: number, positions: number, offset: number, stride: number) {
  const kept: number[] = [];
  const cols: { m: number; sd: number }[] = [];
  let total = 0;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < positions; j++) {
      const v = maps[offset + i * stride + j];
      total += v;
      if (v > max) max = v;
    }
  }
  for (let j = 0; j < positions; j++) {
    const at = (i: number) => maps[offset + i * stride + j];
    let s = at(0);
    let same = true;
    for (let i = 1; i < n; i++) {
      s += at(i);
      if (at(i) !== at(0)) same = false;
    }
    const m = s / n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (at(i) - m) * (at(i) - m);
    const sd = Math.sqrt(ss / n);
    if (same || !(sd > Math.abs(m) * n * Number.EPSILON)) continue;
    kept.push(j);
    cols.push({ m, sd });
  }
  const p = kept.length;
  const x = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let c = 0; c < p; c++) x[i * p + c] = (maps[offset + i * stride + kept[c]] - cols[c].m) / cols[c].sd;
  return { x, p, sum: total, max };
}

/** Images × (channels × positions) with, in every channel, constant positions of awkward values and nearly constant ones. */
function layer(n: number, channels: number, positions: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const awkward = [0.1, -3.3, 1e-40, 3e38, 0, -0, 1 / 3, 16777217];
  const out = new Float64Array(n * channels * positions);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < channels; c++) {
      for (let j = 0; j < positions; j++) {
        const at = (i * channels + c) * positions + j;
        if (j < awkward.length) out[at] = awkward[j];
        else if (j < awkward.length + 3) out[at] = 0.7 + (i === n - 1 ? 2 ** -20 : 0);
        else out[at] = rng.normal() * (1 + c) + j * 0.01;
      }
    }
  }
  return out;
}

function expectSame(got: ReturnType<typeof standardiseMaps>, want: ReturnType<typeof reference>) {
  expect(got.p).toBe(want.p);
  expect(Object.is(got.sum, want.sum)).toBe(true);
  expect(Object.is(got.max, want.max)).toBe(true);
  expect(got.x.length).toBe(want.x.length);
  let differing = 0;
  for (let k = 0; k < want.x.length; k++) if (!Object.is(got.x[k], want.x[k])) differing++;
  expect(differing).toBe(0);
}

describe('standardiseMaps', () => {
  const n = 37;
  const channels = 3;
  const positions = 29;

  it('gives the definition’s bits on float32 maps read in place from an NCHW tensor, into a reused buffer', () => {
    const maps = Float32Array.from(layer(n, channels, positions, 5));
    const into = new Float64Array(n * positions).fill(Number.NaN);
    for (let c = 0; c < channels; c++) {
      const layout = { offset: c * positions, rowStride: channels * positions };
      const got = standardiseMaps(maps, n, positions, layout, into);
      expectSame(got, reference(maps, n, positions, layout.offset, layout.rowStride));
      // 8 constant positions dropped (0.1, -3.3, … as float32); the nearly constant ones kept.
      expect(got.p).toBe(positions - 8);
    }
  });

  it('gives the definition’s bits on float64 maps and plain arrays, where equal values can sum inexactly', () => {
    const maps = layer(n, 1, positions, 9);
    expectSame(standardiseMaps(maps, n, positions), reference(maps, n, positions, 0, positions));
    expectSame(standardiseMaps(Array.from(maps), n, positions), reference(maps, n, positions, 0, positions));
  });
});
