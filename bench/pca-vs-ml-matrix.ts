/**
 * Why lib/pcace/pca.ts computes the top components by Lanczos instead of a
 * dense decomposition: times channelPca (top 5) against ml-matrix's SVD of the
 * standardised maps and its eigen-decomposition of the smaller Gram matrix
 * (XᵀX or XXᵀ), on 300 images × 14×14 and × 56×56 maps, and checks that all
 * three agree on the eigenvalues.
 *
 *   npx tsx bench/pca-vs-ml-matrix.ts [--reps N]
 *
 * Every method gets the same raw maps; the dense ones include the
 * standardisation (as channelPca does), done once by the same helper the tests
 * use (timed apart too). Figures are medians over N repetitions after one
 * warm-up.
 */
import { performance } from 'node:perf_hooks';
import { channelPca } from '../lib/pcace/pca';
import { denseEigenvalues, denseSvdPca, latentMaps, standardisedMatrix } from '../tests/fixtures/dense-pca';
import { machineReport } from './machine';

const N = 300;
const K = 5;
const reps = Number(process.argv[process.argv.indexOf('--reps') + 1]) || 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time<T>(fn: () => T): { ms: number; out: T } {
  let out = fn(); // warm-up
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    out = fn();
    ms.push(performance.now() - t);
  }
  return { ms: median(ms), out };
}

console.log(machineReport({ reps: String(reps) }));
console.log('\n| maps | positions | channelPca (Lanczos) ms | ml-matrix SVD ms | ml-matrix Gram eigen ms | of which standardising ms | (SVD − std) / Lanczos | (eigen − std) / Lanczos | max rel. eigenvalue diff |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const side of [14, 56]) {
  const positions = side * side;
  const maps = latentMaps(N, positions, 8, side);
  const lanczos = time(() => channelPca(maps, N, positions, K));
  const svd = time(() => denseSvdPca(standardisedMatrix(maps, N, positions), K));
  const eig = time(() => {
    const x = standardisedMatrix(maps, N, positions);
    return denseEigenvalues(x.columns <= N ? x.transpose().mmul(x) : x.mmul(x.transpose()), K);
  });
  // The oracle's standardisation is plain arrays, slower than channelPca's; it is timed apart so the dense columns can be read without it.
  const std = time(() => standardisedMatrix(maps, N, positions));
  const p = lanczos.out.positionsUsed;
  const ours = Array.from(lanczos.out.explainedVarianceRatio, (r) => r * N * p);
  const diff = Math.max(...ours.map((v, c) => Math.max(Math.abs(v - svd.out.values[c]), Math.abs(v - eig.out[c])) / v));
  console.log(
    `| ${N} × ${side}×${side} | ${positions} | ${lanczos.ms.toFixed(1)} | ${svd.ms.toFixed(1)} | ${eig.ms.toFixed(1)} | ${std.ms.toFixed(1)} | ${((svd.ms - std.ms) / lanczos.ms).toFixed(1)} | ${((eig.ms - std.ms) / lanczos.ms).toFixed(1)} | ${diff.toExponential(1)} |`,
  );
}
