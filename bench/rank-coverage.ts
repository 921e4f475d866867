/**
 * Coverage of the rank confidence sets (lib/pcace/rank-inference.ts) with the
 * real estimator: refit bootstrap (standardisation, PCA and the cross-fitted
 * score redone per replicate), on layers whose channels differ only in signal
 * strength (tests/fixtures/ordered-layer.ts), so the true ranks are known.
 *
 *   npx tsx bench/rank-coverage.ts [--sims 30] [--bootstrap 100] [--threads 1]
 */
import { parseArgs } from 'node:util';
import { scoreLayer } from '../lib/analysis/layer-scorer';
import { orderedLayer } from '../tests/fixtures/ordered-layer';
import { machineReport } from './machine';

const { values } = parseArgs({ options: { sims: { type: 'string', default: '30' }, bootstrap: { type: 'string', default: '100' }, threads: { type: 'string', default: '1' } } });
const sims = Number(values.sims);
const B = Number(values.bootstrap);
const strengths = [0.15, 0.3, 0.45, 0.6, 0.8, 1.0];
console.log(machineReport({ sims: String(sims), bootstrap: String(B) }));
// Tallies over the simulations: coverage of the simultaneous and marginal sets, and their widths.
let [simAll, margAll, margEach, pctEach, widthSim, widthMarg] = [0, 0, 0, 0, 0, 0];
const t0 = performance.now();
for (let s = 1; s <= sims; s++) {
  const L = orderedLayer({ n: 200, strengths, height: 6, width: 6, seed: 300 + s });
  const res = await scoreLayer(
    { data: L.data, n: L.n, channels: L.channels, positions: L.positions, y: L.y },
    { components: 5, flavour: 'acepack', rankBy: 'crossfit', crossFitRepeats: 2, crossFitCap: 20, bootstrap: B, stabilityComponents: [], seed: s, threads: Number(values.threads) },
  );
  const rc = res.rankConfidence!;
  const inSet = (set: { lower: number; upper: number }, c: number) => set.lower <= L.trueRank[c] && L.trueRank[c] <= set.upper;
  if (rc.simultaneous.every((set, c) => inSet(set, c))) simAll++;
  if (rc.marginal.every((set, c) => inSet(set, c))) margAll++;
  rc.marginal.forEach((set, c) => {
    if (inSet(set, c)) margEach++;
    widthMarg += set.upper - set.lower;
  });
  rc.simultaneous.forEach((set) => (widthSim += set.upper - set.lower));
  res.rankIntervals!.forEach((iv, c) => {
    if (iv.p05 <= L.trueRank[c] && L.trueRank[c] <= iv.p95) pctEach++;
  });
}
const m = strengths.length;
console.log(
  `ordered layers (${m} channels, strengths ${strengths.join(', ')}; 200 images, 6×6, k = 5, crossfit, B = ${B} refit bootstrap), ${sims} simulations, ${((performance.now() - t0) / 1000).toFixed(0)} s:\n` +
    `  simultaneous 95 % sets cover all true ranks: ${(simAll / sims).toFixed(3)}; mean width ${(widthSim / (sims * m)).toFixed(2)} ranks\n` +
    `  marginal 95 % sets cover each true rank: ${(margEach / (sims * m)).toFixed(3)} (all at once: ${(margAll / sims).toFixed(3)}); mean width ${(widthMarg / (sims * m)).toFixed(2)}\n` +
    `  percentile 5–95 % bootstrap rank intervals cover each true rank: ${(pctEach / (sims * m)).toFixed(3)}`,
);
