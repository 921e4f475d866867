/**
 * Why lib/pcace/ace/linear-start.ts unrolls its dot products eight at a time:
 * times rowDots and columnDots against one-sum-at-a-time loops (the same sums in
 * the same order, so the results must be bit-identical, which is checked) on
 * sizes the linear start sees: n images × p predictors (PCA components and
 * their cross-fit copies).
 *
 *   npx tsx bench/linear-start-dots.ts [--reps N]
 *
 * The two variants run in alternating blocks so that the load of other jobs
 * falls on both; the figure is the ratio of their medians.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { columnDots, rowDots } from '../lib/pcace/ace/linear-start';
import { Rng } from '../lib/pcace/random';
import { machineReport } from './machine';

const reps = Number(process.argv[process.argv.indexOf('--reps') + 1]) || 15;

function plainRowDots(rows: Float64Array, c: Float64Array, n: number, p: number, out: Float64Array): void {
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < p; i++) s = s + c[i] * rows[j * p + i];
    out[j] = s;
  }
}

function plainColumnDots(cols: Float64Array[], v: Float64Array, n: number, p: number, out: Float64Array): void {
  for (let i = 0; i < p; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s = s + v[j] * cols[i][j];
    out[i] = s;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(machineReport({ reps: String(reps), 'load average (1, 5, 15 min)': loadavg().map((l) => l.toFixed(1)).join(', ') }));
console.log('\n| n | p | rowDots: unrolled / plain | columnDots: unrolled / plain |');
console.log('|---:|---:|---:|---:|');
for (const [n, p] of [
  [300, 5],
  [300, 20],
  [2000, 10],
  [6000, 40],
]) {
  const rng = new Rng(n * 1000 + p);
  const rows = Float64Array.from({ length: n * p }, () => rng.normal());
  const cols = Array.from({ length: p }, (_, i) => Float64Array.from({ length: n }, (_, j) => rows[j * p + i]));
  const c = Float64Array.from({ length: p }, () => rng.normal());
  const v = Float64Array.from({ length: n }, () => rng.normal());
  const [ra, rb, ca, cb] = [new Float64Array(n), new Float64Array(n), new Float64Array(p), new Float64Array(p)];
  // Enough calls per timing that one lasts a few milliseconds.
  const calls = Math.max(1, Math.round(4e6 / (n * p)));
  const timed = (f: () => void) => {
    const t = performance.now();
    for (let k = 0; k < calls; k++) f();
    return performance.now() - t;
  };
  const t = { ru: [] as number[], rp: [] as number[], cu: [] as number[], cp: [] as number[] };
  for (let r = -1; r < reps; r++) {
    const ru = timed(() => rowDots(rows, c, n, p, ra));
    const rp = timed(() => plainRowDots(rows, c, n, p, rb));
    const cu = timed(() => columnDots(cols, v, n, p, ca));
    const cp = timed(() => plainColumnDots(cols, v, n, p, cb));
    if (r < 0) continue; // warm-up
    t.ru.push(ru);
    t.rp.push(rp);
    t.cu.push(cu);
    t.cp.push(cp);
  }
  if (!ra.every((x, i) => x === rb[i]) || !ca.every((x, i) => x === cb[i])) throw new Error(`n=${n} p=${p}: the unrolled sums differ from the plain ones`);
  console.log(`| ${n} | ${p} | ${(median(t.ru) / median(t.rp)).toFixed(2)} | ${(median(t.cu) / median(t.cp)).toFixed(2)} |`);
}
console.log(`\nload average after: ${loadavg().map((l) => l.toFixed(1)).join(', ')}`);
