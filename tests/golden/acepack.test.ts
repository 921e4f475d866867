import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REFERENCE_DIR, readCsv } from '../helpers/reference';
import { maxAbsDiff } from '../helpers/arrays';
import { aceAcepack } from '../../lib/pcace/ace/acepack';
import type { AceOptions, AceResult } from '../../lib/pcace/ace/types';
import { pearson as cor } from '../../lib/pcace/stats';

interface SummaryCase {
  name: string;
  n: number;
  p: number;
  rsq: number;
  cor_sum_tx_ty: number;
  cor_tx1_ty: number;
}

const summary = JSON.parse(readFileSync(path.join(REFERENCE_DIR, 'summary.json'), 'utf8')) as {
  acepack_version: string;
  cases: SummaryCase[];
};

const GOLDEN = [
  'quad_p1',
  'expsin_p2',
  'mix_p5',
  'ties_ord_p2',
  'ties_cat_p2',
  'tiedy_p1',
  'noise_p1_n300',
  'noise_p20_n300',
  'pcace_toy_k5',
];
const OPTIONS: Record<string, AceOptions> = {
  ties_cat_p2: { xTypes: ['categorical', 'orderable'] },
};

function loadCase(name: string): { x: Float64Array[]; y: Float64Array; tx: number[][]; ty: number[][] } {
  const rows = readCsv(`${name}_x.csv`);
  const p = rows[0].length;
  const x = Array.from({ length: p }, (_, i) => Float64Array.from(rows, (r) => r[i]));
  const y = Float64Array.from(readCsv(`${name}_y.csv`), (r) => r[0]);
  return { x, y, tx: readCsv(`${name}_tx.csv`), ty: readCsv(`${name}_ty.csv`) };
}


function sumPhi(fit: AceResult): Float64Array {
  const s = new Float64Array(fit.ty.length);
  for (const phi of fit.tx) for (let j = 0; j < s.length; j++) s[j] += phi[j];
  return s;
}

function allFinite(fit: AceResult): boolean {
  return [fit.ty, ...fit.tx].every((a) => a.every(Number.isFinite)) && Number.isFinite(fit.rsq);
}

describe(`aceAcepack against R acepack ${summary.acepack_version}`, () => {
  for (const name of GOLDEN) {
    it(name, () => {
      const ref = summary.cases.find((c) => c.name === name);
      expect(ref).toBeDefined();
      const { x, y, tx, ty } = loadCase(name);
      expect(x.length).toBe(ref!.p);
      expect(y.length).toBe(ref!.n);
      const fit = aceAcepack(x, y, OPTIONS[name]);

      for (let i = 0; i < x.length; i++) {
        expect(maxAbsDiff(fit.tx[i], tx.map((r) => r[i])), `tx column ${i + 1}`).toBeLessThan(1e-6);
      }
      expect(maxAbsDiff(fit.ty, ty.map((r) => r[0])), 'ty').toBeLessThan(1e-6);
      expect(Math.abs(fit.rsq - ref!.rsq)).toBeLessThan(1e-6);
      expect(Math.abs(cor(sumPhi(fit), fit.ty) - ref!.cor_sum_tx_ty)).toBeLessThan(1e-6);
      expect(Math.abs(cor(fit.tx[0], fit.ty) - ref!.cor_tx1_ty)).toBeLessThan(1e-6);
      expect(fit.iterations).toBeGreaterThanOrEqual(1);
      expect(fit.iterations).toBeLessThanOrEqual(20);
      expect(fit.innerIterations).toBeGreaterThanOrEqual(fit.iterations);
    });
  }
});

describe('aceAcepack properties', () => {
  const base = loadCase('expsin_p2');
  const baseFit = aceAcepack(base.x, base.y);
  const n = base.y.length;

  it('does not depend on row order (untied data)', () => {
    // With ties the quicksort's order inside a tie group follows the input order, and
    // the running-line windows count positions, so only untied data are order-free.
    const perm = Array.from({ length: n }, (_, i) => (i * 37 + 11) % n);
    const fit = aceAcepack(
      base.x.map((c) => Float64Array.from(perm, (k) => c[k])),
      Float64Array.from(perm, (k) => base.y[k]),
    );
    expect(Math.abs(fit.rsq - baseFit.rsq)).toBeLessThan(1e-9);
    for (let i = 0; i < base.x.length; i++) {
      expect(maxAbsDiff(fit.tx[i], Float64Array.from(perm, (k) => baseFit.tx[i][k]))).toBeLessThan(1e-9);
    }
    expect(maxAbsDiff(fit.ty, Float64Array.from(perm, (k) => baseFit.ty[k]))).toBeLessThan(1e-9);
  });

  it('does not depend on the location and scale of y', () => {
    const fit = aceAcepack(base.x, base.y.map((v) => 250 * v - 3));
    expect(Math.abs(fit.rsq - baseFit.rsq)).toBeLessThan(1e-9);
    expect(maxAbsDiff(fit.ty, baseFit.ty)).toBeLessThan(1e-9);
  });

  it('does not depend on an increasing affine map of a predictor', () => {
    const x = base.x.slice();
    x[0] = x[0].map((v) => 3 * v + 7);
    const fit = aceAcepack(x, base.y);
    expect(Math.abs(fit.rsq - baseFit.rsq)).toBeLessThan(1e-9);
    expect(maxAbsDiff(fit.tx[0], baseFit.tx[0])).toBeLessThan(1e-9);
  });

  it('nearly ignores a nonlinear increasing map of a predictor', () => {
    // ACE's optimal transforms are invariant to it, but acepack's smoother fits local
    // straight lines in x, so the estimate moves slightly (1.2e-3 here).
    const x = base.x.slice();
    x[0] = x[0].map(Math.exp);
    const fit = aceAcepack(x, base.y);
    expect(Math.abs(fit.rsq - baseFit.rsq)).toBeLessThan(1e-2);
    expect(cor(fit.tx[0], baseFit.tx[0])).toBeGreaterThan(0.99);
  });

  it('names the column and row of a non-finite value', () => {
    const x = base.x.map((c) => c.slice());
    x[1][7] = NaN;
    expect(() => aceAcepack(x, base.y)).toThrow(/x\[1\].*row 7/);
    x[1][7] = Infinity;
    expect(() => aceAcepack(x, base.y)).toThrow(/x\[1\].*Infinity.*row 7/);
    const y = base.y.slice();
    y[3] = NaN;
    expect(() => aceAcepack(base.x, y)).toThrow(/y .*row 3/);
  });

  it('rejects malformed input', () => {
    expect(() => aceAcepack([base.x[0].subarray(1)], base.y)).toThrow(/length/);
    expect(() => aceAcepack([], base.y)).toThrow(/non-empty/);
    expect(() => aceAcepack([new Float64Array([1])], new Float64Array([2]))).toThrow(/at least 2/);
    expect(() => aceAcepack(base.x, base.y, { weights: new Float64Array(n - 1) })).toThrow(/weights/);
    expect(() => aceAcepack(base.x, base.y, { weights: new Float64Array(n) })).toThrow(/zero/);
    expect(() => aceAcepack(base.x, base.y, { xTypes: ['orderable'] })).toThrow(/xTypes/);
    expect(() => aceAcepack(base.x, new Float64Array(n).fill(4))).toThrow(/constant/);
  });

  it('gives a constant predictor φ = 0 and keeps the rest finite', () => {
    const x = [base.x[0], new Float64Array(n).fill(0.1), base.x[1]];
    const fit = aceAcepack(x, base.y);
    expect(allFinite(fit)).toBe(true);
    expect(maxAbsDiff(fit.tx[1], new Float64Array(n))).toBeLessThan(1e-12);
    expect(fit.rsq).toBeGreaterThan(0.9);
    const only = aceAcepack([new Float64Array(n).fill(-2)], base.y);
    expect(allFinite(only)).toBe(true);
    expect(maxAbsDiff(only.tx[0], new Float64Array(n))).toBeLessThan(1e-12);
  });

  it('fits tiny samples', () => {
    for (const m of [2, 3, 4, 5]) {
      const x = [Float64Array.from({ length: m }, (_, i) => Math.sin(i + 1))];
      const y = Float64Array.from({ length: m }, (_, i) => i * i + Math.cos(3 * i));
      expect(allFinite(aceAcepack(x, y))).toBe(true);
    }
  });

  describe('case weights', () => {
    const w = Float64Array.from({ length: n }, (_, i) => 0.5 + ((i * 7) % 5));

    it('change the fit, but not when all are scaled by one constant', () => {
      const fit = aceAcepack(base.x, base.y, { weights: w });
      expect(Math.abs(fit.rsq - baseFit.rsq)).toBeGreaterThan(1e-6);
      const scaled = aceAcepack(base.x, base.y, { weights: w.map((v) => 8 * v) });
      expect(Math.abs(scaled.rsq - fit.rsq)).toBeLessThan(1e-9);
      for (let i = 0; i < 2; i++) expect(maxAbsDiff(scaled.tx[i], fit.tx[i])).toBeLessThan(1e-9);
      const ones = aceAcepack(base.x, base.y, { weights: new Float64Array(n).fill(1) });
      expect(ones.rsq).toBe(baseFit.rsq);
    });

    it('zero-weight rows are the same as dropped rows for window-free smoothers', () => {
      // The supersmoother's windows count positions, zero-weight ones included, so the
      // equivalence is exact only for categorical and linear transforms.
      const groups = Float64Array.from(base.x[0], (v) => Math.floor(4 * (v + 1)));
      const opts: AceOptions = { xTypes: ['categorical', 'linear'], yType: 'linear' };
      const drop = new Set([0, 5, 17, 60, 61, 199]);
      const weights = Float64Array.from({ length: n }, (_, j) => (drop.has(j) ? 0 : 1));
      const fitW = aceAcepack([groups, base.x[1]], base.y, { ...opts, weights });
      const keep = Array.from({ length: n }, (_, j) => j).filter((j) => !drop.has(j));
      const pick = (a: Float64Array): Float64Array => Float64Array.from(keep, (j) => a[j]);
      const fitD = aceAcepack([pick(groups), pick(base.x[1])], pick(base.y), opts);
      expect(Math.abs(fitW.rsq - fitD.rsq)).toBeLessThan(1e-9);
      expect(maxAbsDiff(pick(fitW.ty), fitD.ty)).toBeLessThan(1e-9);
      for (let i = 0; i < 2; i++) expect(maxAbsDiff(pick(fitW.tx[i]), fitD.tx[i])).toBeLessThan(1e-9);
    });

    it('zero weight on the smallest x keeps the supersmoother finite', () => {
      // acepack divides 0 by 0 there (its window starts with no weight).
      let first = 0;
      for (let j = 1; j < n; j++) if (base.x[0][j] < base.x[0][first]) first = j;
      const weights = new Float64Array(n).fill(1);
      weights[first] = 0;
      const fit = aceAcepack(base.x, base.y, { weights });
      expect(allFinite(fit)).toBe(true);
      expect(Math.abs(fit.rsq - baseFit.rsq)).toBeLessThan(0.01);
    });
  });

  it('supports monotone, linear and categorical transforms', () => {
    const mono = aceAcepack(base.x, base.y, { xTypes: ['monotone', 'orderable'], yType: 'monotone' });
    for (const arr of [mono.tx[0], mono.ty]) {
      const order = Array.from({ length: n }, (_, j) => j).sort(
        (a, b) => (arr === mono.ty ? base.y : base.x[0])[a] - (arr === mono.ty ? base.y : base.x[0])[b],
      );
      const s = Math.sign(arr[order[n - 1]] - arr[order[0]]);
      for (let j = 1; j < n; j++) expect(s * (arr[order[j]] - arr[order[j - 1]])).toBeGreaterThanOrEqual(-1e-12);
    }
    const lin = aceAcepack(base.x, base.y, { xTypes: ['linear', 'linear'] });
    for (let i = 0; i < 2; i++) expect(Math.abs(cor(lin.tx[i], base.x[i]))).toBeGreaterThan(1 - 1e-12);
  });
});
