import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { acePcace2021, argsortStable } from '../../lib/pcace/ace/pcace2021';
import {
  PCACE2021_SPANS,
  SupsmuAbscissa,
  SupsmuPcace2021,
  interpSpans,
  numpySum,
  runningLinePcace2021,
} from '../../lib/pcace/smoother/supsmu-pcace2021';
import { REFERENCE_DIR, readCsv } from '../helpers/reference';
import { maxAbsDiff } from '../helpers/arrays';
import { pearson } from '../../lib/pcace/stats';

interface PySummary {
  name: string;
  p: number;
  py_cor_phi1_theta: number;
  py_cor_sumphi_theta: number;
  py_1_minus_err: number;
  py_outer: number;
  py_inner_total: number;
}

const SUMMARY: PySummary[] = JSON.parse(
  readFileSync(path.join(REFERENCE_DIR, 'python_ace_summary.json'), 'utf8'),
);

function columns(rows: number[][]): Float64Array[] {
  const p = rows[0].length;
  return Array.from({ length: p }, (_, k) => Float64Array.from(rows, (r) => r[k]));
}


describe('acePcace2021 against the Python ace package (v0.3.x)', () => {
  it('covers every case with Python reference transforms', () => {
    expect(SUMMARY.map((c) => c.name).sort()).toEqual(
      ['expsin_p2', 'mix_p5', 'noise_p1_n300', 'quad_p1', 'tiedy_p1'],
    );
  });

  for (const c of SUMMARY) {
    describe(c.name, () => {
      const x = columns(readCsv(`${c.name}_x.csv`));
      const y = Float64Array.from(readCsv(`${c.name}_y.csv`), (r) => r[0]);
      const pyPhi = columns(readCsv(`${c.name}_py_phi.csv`));
      const pyTheta = Float64Array.from(readCsv(`${c.name}_py_theta.csv`), (r) => r[0]);
      const fit = acePcace2021(x, y);

      it('has the reference shape', () => {
        expect(x.length).toBe(c.p);
        expect(fit.tx.length).toBe(c.p);
        expect(fit.ty.length).toBe(y.length);
      });

      it('matches θ within 1e-6', () => {
        expect(maxAbsDiff(fit.ty, pyTheta)).toBeLessThan(1e-6);
      });

      it('matches every φ within 1e-6', () => {
        for (let k = 0; k < c.p; k++) {
          expect(maxAbsDiff(fit.tx[k], pyPhi[k])).toBeLessThan(1e-6);
        }
      });

      it('matches the iteration counts', () => {
        expect(fit.iterations).toBe(c.py_outer);
        expect(fit.innerIterations).toBe(c.py_inner_total);
      });

      it('matches the reported fit and correlations', () => {
        expect(Math.abs(fit.rsq - c.py_1_minus_err)).toBeLessThan(1e-9);
        expect(Math.abs(pearson(fit.tx[0], fit.ty) - c.py_cor_phi1_theta)).toBeLessThan(1e-9);
        const sumPhi = new Float64Array(y.length);
        for (const t of fit.tx) for (let i = 0; i < y.length; i++) sumPhi[i] += t[i];
        expect(Math.abs(pearson(sumPhi, fit.ty) - c.py_cor_sumphi_theta)).toBeLessThan(1e-9);
      });

      it('returns θ with mean 0 and population variance 1', () => {
        const n = fit.ty.length;
        const mean = fit.ty.reduce((s, v) => s + v, 0) / n;
        const variance = fit.ty.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
        expect(Math.abs(mean)).toBeLessThan(1e-12);
        expect(Math.abs(variance - 1)).toBeLessThan(1e-12);
      });
    });
  }
});

describe('acePcace2021 input checks', () => {
  const y = Float64Array.from([0.3, 1.2, -0.4, 2.2, 0.9]);
  const x = [Float64Array.from([1, 2, 3, 4, 5])];

  it('rejects NaN and Infinity with a message naming the input', () => {
    const bad = Float64Array.from([1, 2, NaN, 4, 5]);
    expect(() => acePcace2021([bad], y)).toThrow(/x\[0\] has a non-finite value \(NaN\) at index 2/);
    const badY = Float64Array.from([0.3, Infinity, -0.4, 2.2, 0.9]);
    expect(() => acePcace2021(x, badY)).toThrow(/y has a non-finite value \(Infinity\) at index 1/);
  });

  it('rejects length mismatches and too few observations', () => {
    expect(() => acePcace2021([Float64Array.from([1, 2, 3])], y)).toThrow(/length 3 but y has length 5/);
    expect(() => acePcace2021([Float64Array.from([1])], Float64Array.from([2]))).toThrow(/at least 2/);
    expect(() => acePcace2021([], y)).toThrow(/non-empty/);
  });

  it('rejects a constant response and unsupported options', () => {
    expect(() => acePcace2021(x, new Float64Array(5).fill(3))).toThrow(/constant/);
    expect(() => acePcace2021(x, y, { xTypes: ['categorical'] })).toThrow(/orderable/);
    expect(() => acePcace2021(x, y, { weights: Float64Array.from([1, 2, 1, 1, 1]) })).toThrow(/weights/);
  });

  it('honours maxit and leaves its inputs untouched', () => {
    const xs = [Float64Array.from(x[0])];
    const ys = Float64Array.from(y);
    const fit = acePcace2021(xs, ys, { maxit: 1 });
    expect(fit.iterations).toBe(1);
    expect(Array.from(xs[0])).toEqual(Array.from(x[0]));
    expect(Array.from(ys)).toEqual(Array.from(y));
  });
});

describe('pcace-2021 smoother building blocks', () => {
  it('sums in NumPy pairwise order', () => {
    // 1 + 1e-16·k is sensitive to the order of additions; compare with a hand-built tree.
    const a = Float64Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? 1 : 1e-16 * (i + 1)));
    const block = (off: number, len: number): number => {
      const r = [0, 1, 2, 3, 4, 5, 6, 7].map((j) => a[off + j]);
      let i = 8;
      for (; i < len - (len % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[off + i + j];
      let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
      for (; i < len; i++) res += a[off + i];
      return res;
    };
    // 300 → 144 + 156 → (72 + 72) + (72 + 84)
    const expected = (block(0, 72) + block(72, 72)) + (block(144, 72) + block(216, 84));
    expect(numpySum(a, 0, 300)).toBe(expected);
    expect(numpySum(a, 0, 5)).toBe(a[0] + a[1] + a[2] + a[3] + a[4]);
  });

  it('interpolates spans like numpy.interp, holding the ends', () => {
    expect(interpSpans(0.01, 1, 2, 3)).toBe(1);
    expect(interpSpans(0.9, 1, 2, 3)).toBe(3);
    expect(interpSpans(0.2, 1, 2, 3)).toBe(2);
    expect(interpSpans(0.35, 1, 2, 4)).toBeCloseTo(3, 14);
    expect(Number.isNaN(interpSpans(NaN, 1, 2, 3))).toBe(true);
  });

  it('fits a straight line exactly with every span', () => {
    const n = 50;
    const x = Float64Array.from({ length: n }, (_, i) => i / 7);
    const y = Float64Array.from(x, (v) => 2 * v - 1);
    const out = new Float64Array(n);
    for (const span of [0.05, 0.2, 0.5]) {
      runningLinePcace2021(x, y, n, span, out, null);
      expect(maxAbsDiff(out, y)).toBeLessThan(1e-12);
    }
    const smoother = new SupsmuPcace2021(n);
    smoother.smooth(x, y, n, out);
    expect(maxAbsDiff(out, y)).toBeLessThan(1e-12);
  });

  it('gives bit-identical results to the plain one-pass composition, ties and tiny n included', () => {
    // The supersmoother written out step by step with the reference running line.
    const reference = (x: Float64Array, y: Float64Array, n: number): Float64Array => {
      const prim = PCACE2021_SPANS.map(() => new Float64Array(n));
      const cv = PCACE2021_SPANS.map(() => new Float64Array(n));
      const rs = PCACE2021_SPANS.map(() => new Float64Array(n));
      PCACE2021_SPANS.forEach((span, j) => runningLinePcace2021(x, y, n, span, prim[j], cv[j]));
      cv.forEach((c, j) => runningLinePcace2021(x, c, n, 0.2, rs[j], null));
      const best = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const trio = [rs[0][i], rs[1][i], rs[2][i]];
        let m = trio[0];
        for (const v of trio) if (v < m) m = v;
        const k = trio.findIndex((v) => Object.is(v, m) || v === m);
        best[i] = PCACE2021_SPANS[k];
      }
      const spans = new Float64Array(n);
      runningLinePcace2021(x, best, n, 0.2, spans, null);
      const blended = Float64Array.from(spans, (s, i) => interpSpans(s, prim[0][i], prim[1][i], prim[2][i]));
      const out = new Float64Array(n);
      runningLinePcace2021(x, blended, n, 0.05, out, null);
      return out;
    };
    let seed = 11;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const smoother = new SupsmuPcace2021(400);
    const out = new Float64Array(400);
    for (const n of [2, 3, 5, 9, 19, 20, 39, 40, 41, 77, 200, 301, 400]) {
      for (const tied of [false, true]) {
        const x = Float64Array.from({ length: n }, () => (tied ? Math.round(rand() * 6) : rand() * 4));
        x.sort();
        const y = Float64Array.from(x, (v) => Math.sin(v) + (tied ? Math.round(rand() * 3) : rand()));
        const expected = reference(x, y, n);
        smoother.smooth(x, y, n, out);
        const ab = new SupsmuAbscissa(n).compute(x, n);
        const again = new Float64Array(n);
        smoother.smoothPrepared(ab, y, again);
        for (let i = 0; i < n; i++) {
          expect(Object.is(out[i], expected[i]), `n=${n} tied=${tied} i=${i}`).toBe(true);
          expect(Object.is(again[i], expected[i])).toBe(true);
        }
      }
    }
  });

  it('smooths a window with zero x-variance to 0, as the Python package does', () => {
    const x = new Float64Array(10).fill(2);
    const y = Float64Array.from({ length: 10 }, (_, i) => i + 5);
    const out = new Float64Array(10);
    const resid = new Float64Array(10);
    runningLinePcace2021(x, y, 10, 0.5, out, resid);
    expect(Array.from(out)).toEqual(new Array(10).fill(0));
  });
});

describe('argsortStable', () => {
  it('orders by value and breaks ties by index, for many sizes', () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (const n of [1, 2, 15, 16, 17, 33, 200, 300, 1000]) {
      const v = Float64Array.from({ length: n }, () => Math.round(rand() * 20) / 4 - 2);
      if (n > 3) v[1] = -0;
      const expected = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a] - v[b] || a - b);
      expect(Array.from(argsortStable(v))).toEqual(expected);
    }
  });
});
