import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REFERENCE_DIR } from '../helpers/reference';
import { maxAbsDiff } from '../helpers/arrays';
import {
  createSupsmuPlan,
  createSupsmuWorkspace,
  fillSupsmuPlan,
  smoothFixedSpan,
  smothr,
  supsmu,
  supsmuInto,
  supsmuPlanned,
} from '../../lib/pcace/smoother/supsmu';
import { Rng } from '../../lib/pcace/random';

const TOL = 1e-9;
const CASES = ['sin200', 'ties150', 'small30'];

/** The supsmu_*.csv files, unlike the others, start with a header row. */
function readWithHeader(file: string): Record<string, Float64Array> {
  const lines = readFileSync(path.join(REFERENCE_DIR, file), 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const names = lines[0].split(',');
  const rows = lines.slice(1).map((l) => l.split(',').map(Number));
  const out: Record<string, Float64Array> = {};
  names.forEach((name, c) => {
    out[name] = Float64Array.from(rows, (r) => r[c]);
  });
  return out;
}

describe('supersmoother against acepack 1.4.1', () => {
  for (const name of CASES) {
    describe(name, () => {
      const ref = readWithHeader(`supsmu_${name}.csv`);
      const { x, y } = ref;
      const produced: Record<string, () => Float64Array> = {
        supsmu_bass0: () => supsmu(x, y, undefined, 0, 0),
        supsmu_bass5: () => supsmu(x, y, undefined, 0, 5),
        smothr_l1: () => smothr('orderable', x, y),
        smothr_l5_cat: () => smothr('categorical', x, y),
        'span0.05': () => smoothFixedSpan(x, y, 0.05),
        'span0.2': () => smoothFixedSpan(x, y, 0.2),
        'span0.5': () => smoothFixedSpan(x, y, 0.5),
      };
      for (const [column, run] of Object.entries(produced)) {
        it(column, () => {
          expect(ref[column]).toBeDefined();
          expect(maxAbsDiff(run(), ref[column])).toBeLessThan(TOL);
        });
      }
    });
  }

  it('uses unit weights by default and honours explicit ones', () => {
    const { x, y } = readWithHeader('supsmu_sin200.csv');
    const ones = new Float64Array(x.length).fill(1);
    expect(maxAbsDiff(supsmu(x, y, ones, 0, 5), supsmu(x, y, undefined, 0, 5))).toBe(0);
    const w = Float64Array.from(x, (_, i) => 1 + (i % 3));
    expect(maxAbsDiff(supsmu(x, y, w, 0, 5), supsmu(x, y, undefined, 0, 5))).toBeGreaterThan(1e-6);
  });

  it('returns the weighted mean for constant x', () => {
    const x = new Float64Array(10).fill(2);
    const y = Float64Array.from({ length: 10 }, (_, i) => i);
    const w = Float64Array.from({ length: 10 }, (_, i) => (i < 5 ? 1 : 3));
    const s = supsmu(x, y, w, 0, 5);
    const mean = (0 + 1 + 2 + 3 + 4 + 3 * (5 + 6 + 7 + 8 + 9)) / 20;
    for (const v of s) expect(v).toBeCloseTo(mean, 12);
  });

  it('smooths tiny samples without reading past the data', () => {
    for (let n = 1; n <= 6; n++) {
      const x = Float64Array.from({ length: n }, (_, i) => i * i);
      const y = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
      for (const v of supsmu(x, y, undefined, 0, 5)) expect(Number.isFinite(v)).toBe(true);
    }
  });

  it('gives bit-identical results with a precomputed window plan', () => {
    // ACE uses the planned path; it must be the same arithmetic, not an approximation.
    const rng = new Rng(17);
    let fallbacks = 0;
    for (let t = 0; t < 600; t++) {
      const n = 2 + rng.int(350);
      const mode = t % 3;
      const x = Float64Array.from({ length: n }, () =>
        mode === 0 ? rng.normal() : mode === 1 ? rng.int(12) : Math.round(3 * rng.normal()) / 3,
      ).sort();
      const y = Float64Array.from({ length: n }, () => rng.normal() + 2);
      const wMode = rng.int(4);
      const w = Float64Array.from({ length: n }, () =>
        wMode === 0 ? 1 : wMode === 1 ? 0.1 + 3 * rng.next() : wMode === 2 ? (rng.next() < 0.2 ? 0 : 1) : rng.int(3),
      );
      if (w.every((v) => v === 0)) w[0] = 1;
      const alpha = [0, 5, 2.5][t % 3];
      const direct = new Float64Array(n);
      supsmuInto(n, x, y, w, 0, alpha, direct, createSupsmuWorkspace(n));
      const plan = createSupsmuPlan(n);
      fillSupsmuPlan(plan, n, x, w);
      if (!plan.ok && !plan.constant) fallbacks++;
      const planned = new Float64Array(n);
      supsmuPlanned(plan, n, x, y, w, alpha, planned, createSupsmuWorkspace(n));
      expect(Array.from(planned)).toEqual(Array.from(direct));
    }
    // Windows with zero total weight take the guarded direct path; both kinds occur.
    expect(fallbacks).toBeGreaterThan(0);
    expect(fallbacks).toBeLessThan(600);
  });

  it('rejects unsorted or non-finite input', () => {
    const y = new Float64Array([1, 2, 3]);
    expect(() => supsmu(new Float64Array([0, 2, 1]), y)).toThrow(/sorted/);
    expect(() => supsmu(new Float64Array([0, NaN, 1]), y)).toThrow(/non-finite.*index 1/);
  });
});
